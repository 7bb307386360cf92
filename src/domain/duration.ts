// Kept free of zod, as every module the workflows import: the workflow sandbox evaluates its
// modules again for each workflow it starts (see duration-schema.ts for the schema).
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** `500ms`, `2s`, `15m`, `3d`, `2w`. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** The longest duration anything may be configured with: timers beyond it are a mistake. */
export const MAX_DURATION_MS = 400 * 86_400_000;

export function durationMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
