/**
 * Builds the embedded stack's binaries (Temporal CLI, cxloop-stack with FerretDB) into the
 * cache with Go, once. Fast when they are already there; skipped parts the env points elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  STACK_SOURCE_DIR,
  TEMPORAL_CLI_MODULE,
  TEMPORAL_CLI_VERSION,
  stackBinaryPath,
  temporalCliPath,
} from '../src/stack/tools';

function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function run(description: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }) {
  const started = Date.now();
  console.log(`cxloop: ${description} (first time only, a few minutes)…`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  if (result.status !== 0) {
    console.error(`cxloop: ${description} failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
  console.log(`cxloop: ${description} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function main() {
  const needed: { binary: string; build: () => void }[] = [];
  if (!process.env.TEMPORAL_ADDRESS) {
    const binary = temporalCliPath();
    needed.push({
      binary,
      build: () =>
        run(
          `building Temporal CLI ${TEMPORAL_CLI_VERSION}`,
          'go',
          ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`],
          {
            env: { GOBIN: path.dirname(binary), CGO_ENABLED: '0' },
          },
        ),
    });
  }
  // cxloop-stack also supervises the Temporal dev server, so it is needed whenever anything is embedded.
  if (!process.env.TEMPORAL_ADDRESS || !process.env.MONGODB_URI) {
    const binary = stackBinaryPath();
    needed.push({
      binary,
      build: () =>
        run('building cxloop-stack (FerretDB, SQLite backend)', 'go', ['build', '-o', binary, '.'], {
          cwd: STACK_SOURCE_DIR,
          env: { CGO_ENABLED: '0' },
        }),
    });
  }
  const missing = needed.filter((n) => !existsSync(n.binary));
  if (missing.length === 0) return;
  if (!hasGo()) {
    console.error(
      'cxloop: the embedded stack is built with Go (1.24 or later), which was not found on PATH.\n' +
        '  Install Go (https://go.dev/doc/install), or point TEMPORAL_ADDRESS, MONGODB_URI and SMTP_URL at running services.',
    );
    process.exit(1);
  }
  for (const { binary, build } of missing) {
    mkdirSync(path.dirname(binary), { recursive: true });
    build();
  }
}

main();
