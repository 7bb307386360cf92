import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// The image runs the compiled JavaScript (`npm run build`, tsconfig.build.json); this compiles the
// same way into a scratch directory inside the clone, so the compiled modules find package.json.
const out = path.resolve('.tmp/build-test');
const env = { PATH: process.env.PATH ?? '' };
// Starting a compiled Node process takes seconds on a busy machine: a minute each, not vitest's 5 s.
const START_TIMEOUT = 60_000;

describe('the compiled build the image runs', () => {
  beforeAll(() => {
    rmSync(out, { recursive: true, force: true });
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out]);
  }, 180_000);

  it(
    'when the web entry starts without configuration, then it stops at the secrets check and names them',
    () => {
      const run = spawnSync(process.execPath, [path.join(out, 'src/web-main.js')], { env, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('SESSION_SECRET must be set');
      expect(run.stderr).not.toMatch(/Cannot find module|SyntaxError/);
    },
    START_TIMEOUT,
  );

  it(
    'when the worker entry starts without configuration, then it stops at the secrets check',
    () => {
      const run = spawnSync(process.execPath, [path.join(out, 'src/worker-main.js')], { env, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('SURVEY_TOKEN_SECRET must be set');
    },
    START_TIMEOUT,
  );

  it('then the compiled modules find the templates, assets, workflows and failure converter', () => {
    const script = `
      const { TEMPLATES_DIR } = require('./src/mail/templates');
      const { PUBLIC_DIR } = require('./src/web/app');
      const { WORKFLOWS_PATH } = require('./src/temporal/worker');
      const { FAILURE_CONVERTER_PATH } = require('./src/temporal/codec');
      console.log(JSON.stringify([TEMPLATES_DIR, PUBLIC_DIR, WORKFLOWS_PATH, FAILURE_CONVERTER_PATH]));`;
    const paths = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: out, env, encoding: 'utf8' }),
    ) as string[];
    expect(paths).toEqual([
      path.resolve('templates'),
      path.resolve('public'),
      path.join(out, 'workflows/index.js'),
      path.join(out, 'src/temporal/failure-converter.js'),
    ]);
    for (const p of paths) expect(existsSync(p), p).toBe(true);
  });
});
