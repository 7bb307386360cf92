import { z } from 'zod';
import { ZDuration } from './duration-schema';
import { LIMITS } from './limits';

const ZClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 21:00');

export const ZContactRules = z
  .object({
    /** Minimum time between any two surveys to the same customer, across all programs. */
    minIntervalAnyProgram: ZDuration.default('14d'),
    /** Minimum time between two surveys of this program to the same customer. */
    minIntervalSameProgram: ZDuration.default('30d'),
    /** At most `count` surveys (all programs) per rolling `window`. */
    maxPerWindow: z
      .object({ count: z.number().int().min(1).max(LIMITS.count), window: ZDuration })
      .strict()
      .default({ count: 4, window: '365d' }),
    /** More than `maxTransactions` in `window` makes a frequent transactor, surveyed at most once per `surveyEvery`. */
    frequentTransactor: z
      .object({ maxTransactions: z.number().int().min(1).max(LIMITS.count), window: ZDuration })
      .strict()
      .optional(),
    /** Local time in the customer's timezone, e.g. 21:00–08:00; sends inside are deferred. */
    quietHours: z.object({ start: ZClock, end: ZClock }).strict().optional(),
    /** A throttled send is deferred to the first allowed moment, or skipped. */
    whenThrottled: z.enum(['defer', 'skip']).default('skip'),
  })
  .strict();
export type TContactRules = z.infer<typeof ZContactRules>;
