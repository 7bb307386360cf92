import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  'mongodb',
  'nodemailer',
  'handlebars',
  'smtp-server',
  'mailparser',
  'express',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];
/** What only the web layer may import. */
const httpModules = [
  'express',
  'express-session',
  'express-rate-limit',
  'helmet',
  'pino-http',
  'csrf-sync',
  'connect-mongo',
];
const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'bench/results', 'coverage', '.tmp', 'dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Scripts the app serves to browsers.
    files: ['public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        window: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        crypto: 'readonly',
      },
    },
  },
  {
    // Workflows must be deterministic: no I/O and no Node built-ins (Temporal's sandbox rule). The
    // failure converter is bundled into the sandbox too.
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts', 'src/temporal/failure-converter.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...ioModules, ...nodeBuiltins.flatMap((m) => [m, `node:${m}`])].map((name) => ({
            name,
            message: 'workflows and the domain stay deterministic and free of I/O; do this in an activity',
          })),
          patterns: [
            {
              group: ['**/src/db/**', '**/src/mail/**', '**/src/web/**', '**/src/stack/**', '**/db/*', '**/mail/*'],
              message: 'no I/O layers inside workflows or the domain',
            },
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'workflows see activities only as types',
            },
          ],
        },
      ],
    },
  },
  {
    // Activities, the application layer, the database layer and the Temporal client helpers serve
    // the web as well as the worker: they never see HTTP (the web maps AppError to a status).
    files: ['activities/**/*.ts', 'src/app/**/*.ts', 'src/db/**/*.ts', 'src/temporal/**/*.ts'],
    ignores: ['src/temporal/failure-converter.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: httpModules.map((name) => ({
            name,
            message: 'no HTTP below the web layer; throw an AppError instead',
          })),
          patterns: [
            { group: ['**/web', '**/web/**'], message: 'only the web layer and the entry points import src/web' },
          ],
        },
      ],
    },
  },
);
