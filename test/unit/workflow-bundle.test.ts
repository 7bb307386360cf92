import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { bundleCxWorkflows } from '../../src/temporal/worker';

describe('the workflow bundle', () => {
  it('when the workflows are bundled, then no zod schema is in it (the sandbox evaluates every module again per workflow), and the failure converter is', async () => {
    const { code } = await bundleCxWorkflows(new DefaultLogger('WARN'));
    const modules = [...code.matchAll(/\/\*\*\*\/ "\.\/([^"]+)"/g)].map((m) => m[1]!);
    // The pattern still finds the modules (a webpack change would make this test pass vacuously).
    expect(modules).toContain('workflows/customer-loop.ts');
    expect(modules.filter((m) => m.includes('node_modules/zod') || m.endsWith('-schema.ts'))).toEqual([]);
    // Failures the workflows raise are converted in the sandbox: with messages encoded, or in clear.
    expect(modules).toContain('src/temporal/failure-converter.ts');
  }, 60_000);
});
