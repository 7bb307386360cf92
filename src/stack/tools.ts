import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The one place the embedded stack's versions are pinned (FerretDB's is in stack/cxloop-stack/go.mod). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const STACK_SOURCE_DIR = path.join(REPO_ROOT, 'stack', 'cxloop-stack');
const STACK_SOURCES = ['main.go', 'id_indexes.go', 'go.mod', 'go.sum'];

/** Outside the clone, so fresh clones and CI reuse built binaries. */
export function cacheDir(): string {
  if (process.env.CXLOOP_CACHE_DIR) return path.resolve(process.env.CXLOOP_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'cxloop');
}

export function temporalCliPath(): string {
  return path.join(cacheDir(), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/** Keyed by a hash of its sources, so a change to the Go program rebuilds it. */
export function stackBinaryPath(): string {
  const hash = createHash('sha256');
  for (const file of STACK_SOURCES) hash.update(readFileSync(path.join(STACK_SOURCE_DIR, file)));
  return path.join(cacheDir(), `cxloop-stack-${hash.digest('hex').slice(0, 12)}`, 'cxloop-stack');
}

export function missingTools(): string[] {
  return [temporalCliPath(), stackBinaryPath()].filter((p) => !existsSync(p));
}
