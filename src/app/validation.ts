import type { z } from 'zod';
import { AppError } from './errors';

/** Parses with a zod schema; failures are refused as invalid, naming each bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what = 'request'): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  throw new AppError('invalid', `invalid ${what}: ${summary}`, details);
}
