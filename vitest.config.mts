import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        test: {
          name: 'stack',
          include: ['test/{integration,workflow,web,browser}/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One embedded stack is shared; files run one after another to keep 2 cores calm.
          fileParallelism: false,
        },
      },
    ],
  },
});
