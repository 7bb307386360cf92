/**
 * Builds the workflow bundle ahead of time, as Temporal advises for production: the worker then
 * loads it (WORKFLOW_BUNDLE) instead of bundling the TypeScript at every start.
 * Usage: npm run build:workflows [-- <output path>] (default dist/workflow-bundle.js).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleCxWorkflows } from '../src/temporal/worker';

async function main() {
  const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  const { code } = await bundleCxWorkflows();
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err: Error) => {
  console.error(`bundling the workflows failed: ${err.message}`);
  process.exit(1);
});
