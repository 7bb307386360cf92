import { defineConfig } from 'vitest/config';

/**
 * Stack files that run several production processes or a whole stack of their own, or keep the CPU
 * busy (the fuzzer): they run alone, after the others, so a busy machine does not stretch their
 * waits. (temporal-restart, with one in-process harness on a Temporal of its own, and loop-budget,
 * which counts its own process's and workflows' work, not time, pass side by side.)
 */
const ALONE = [
  'test/web/fuzz.test.ts',
  'test/integration/faults.test.ts',
  'test/integration/npm-start.test.ts',
  'test/integration/scale-out.test.ts',
  'test/integration/temporal-outage.test.ts',
];
const STACK_FILES = ['test/{integration,workflow,web,browser}/**/*.test.ts'];
/**
 * Most stack files wait on timers, Temporal tasks and the network, not on the CPU: three at a time
 * keep 2 cores busy. Each test file has a database of its own (test/support/harness.ts).
 */
const SIDE_BY_SIDE = 3;

const stack = {
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        // First, on their own: a busy machine would stretch the spawns and compiles of a few past
        // the unit tests' 5-second time-out.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: SIDE_BY_SIDE },
      },
      {
        test: {
          name: 'stack',
          include: STACK_FILES,
          exclude: ALONE,
          maxWorkers: SIDE_BY_SIDE,
          sequence: { groupOrder: 1 },
          ...stack,
        },
      },
      {
        test: {
          name: 'stack-alone',
          include: ALONE,
          // One embedded stack is shared (global-setup.ts); these files run one after another, last.
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          ...stack,
        },
      },
    ],
  },
});
