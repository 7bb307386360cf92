import { z } from 'zod';
import { LIMITS } from './limits';

/** A locale tag such as `en`, `de` or `fr-CA`. */
export const ZLocale = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale such as en, de or fr-CA');

const ZText = z.string().trim().min(1).max(LIMITS.text);

/** Text in several locales, e.g. `{ en: 'Thanks', de: 'Danke' }`; a plain string is for every locale. */
export const ZLocalized = z.union([
  ZText,
  z
    .record(ZLocale, ZText)
    .refine((texts) => Object.keys(texts).length >= 1, 'at least one locale')
    .refine((texts) => Object.keys(texts).length <= LIMITS.locales, `at most ${LIMITS.locales} locales`),
]);
export type TLocalized = z.infer<typeof ZLocalized>;

/** The text of `value` for `locale`, falling back to `fallback`, then to any text. */
export function localize(value: TLocalized | undefined, locale: string, fallback = 'en'): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[locale] ?? value[locale.split('-')[0]!] ?? value[fallback] ?? Object.values(value)[0] ?? '';
}
