import type { CustomerProfile } from './customer';

/**
 * The fields of a customer's record that say where their mail goes and whom it addresses. A key
 * that may only send events (a point-of-sale system, say) may create a customer with them, but
 * only a key that may write customers may change them: otherwise a leaked events key could
 * redirect a customer's survey and case mail.
 */
export const IDENTITY_FIELDS = ['email', 'name'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** How an event's customer block may touch an existing record. */
export type IdentityWrite = 'change' | 'create-only';

export interface IgnoredFields {
  ignored: `customer.${IdentityField}`[];
  reason: string;
}

export const IDENTITY_IGNORED_REASON =
  "changing an existing customer's email or name needs an API key with the write scope; the event was recorded without those changes";

/**
 * The identity fields an event would change on the stored record but may not, or undefined when
 * none (a new customer, the same values, or a key allowed to change them).
 */
export function ignoredIdentityChanges(
  stored: { email?: string; name?: string } | null,
  profile: CustomerProfile,
  write: IdentityWrite,
): IgnoredFields | undefined {
  if (write === 'change' || !stored) return undefined;
  const ignored = IDENTITY_FIELDS.filter((field) => profile[field] !== undefined && profile[field] !== stored[field]);
  return ignored.length
    ? { ignored: ignored.map((field) => `customer.${field}` as const), reason: IDENTITY_IGNORED_REASON }
    : undefined;
}
