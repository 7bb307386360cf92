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
