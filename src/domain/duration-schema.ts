import { z } from 'zod';
import { DURATION_PATTERN, MAX_DURATION_MS, durationMs } from './duration';

/** A duration such as `500ms`, `2s`, `15m`, `3d`, `2w`, at most 400 days. */
export const ZDuration = z
  .string()
  .max(20)
  .regex(DURATION_PATTERN, 'a duration such as 30s, 15m, 3d or 2w')
  // Checked only once the regex has passed: an unreadable duration is reported by the regex alone.
  .refine((d) => !DURATION_PATTERN.test(d) || durationMs(d) <= MAX_DURATION_MS, 'at most 400 days');
