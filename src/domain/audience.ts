import { z } from 'zod';

/** A customer is in a program's audience when every listed attribute equals one of its values. */
export function inAudience(
  audience: Record<string, readonly (string | number | boolean)[]>,
  attributes: Record<string, unknown>,
): boolean {
  return Object.entries(audience).every(
    ([attribute, allowed]) =>
      allowed.length === 0 || allowed.includes(attributes[attribute] as string | number | boolean),
  );
}

/** A customer attribute's name, as audiences, segments and the quadrants' revenue name it. */
export const ZAttributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'attribute names are a letter, then letters, digits and _');
