import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** The longest duration anything may be configured with: timers beyond it are a mistake. */
export const MAX_DURATION_MS = 400 * 86_400_000;

/** A duration such as `500ms`, `2s`, `15m`, `3d`, `2w`, at most 400 days. */
export const ZDuration = z
  .string()
  .max(20)
  .regex(DURATION, 'a duration such as 30s, 15m, 3d or 2w')
  // Checked only once the regex has passed: an unreadable duration is reported by the regex alone.
  .refine((d) => !DURATION.test(d) || durationMs(d) <= MAX_DURATION_MS, 'at most 400 days');

export function durationMs(duration: string): number {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
