/** A customer's record as integrations send it (validated by `ZCustomerInput` at the edge). */
export interface CustomerProfile {
  id: string;
  email: string;
  name?: string;
  locale?: string;
  timezone?: string;
  /** Merged into the stored attributes: integrations may send only what changed. */
  attributes?: Record<string, string | number | boolean>;
}

/** What became of a profile change: an erased customer's record is never written again. */
export type ProfileOutcome = 'applied' | 'erased';

/** What an erasure removed or stopped. */
export interface ErasureSummary {
  invitationsCancelled: number;
  repliesCleared: number;
  outboxEmailsRemoved: number;
  eventsCleared: number;
  /** The customer's cases whose free text was removed (an unclosed one is also closed). */
  casesRedacted: number;
}

/** Whether applying `profile` would change `stored`: a re-import of the same file writes nothing. */
export function profileChanges(
  stored: { email: string; name?: string; locale?: string; timezone?: string; attributes?: Record<string, unknown> },
  profile: CustomerProfile,
): boolean {
  if (stored.email !== profile.email) return true;
  for (const field of ['name', 'locale', 'timezone'] as const)
    if (profile[field] !== undefined && profile[field] !== stored[field]) return true;
  return Object.entries(profile.attributes ?? {}).some(([key, value]) => stored.attributes?.[key] !== value);
}

/**
 * A CSV cell as an attribute value: plain numbers and `true`/`false` keep their type (revenue
 * must compare as a number); anything else, such as a postcode with a leading zero, stays text.
 */
export function attributeValue(cell: string): string | number | boolean {
  if (cell === 'true' || cell === 'false') return cell === 'true';
  const number = Number(cell);
  return cell.trim() !== '' && Number.isFinite(number) && String(number) === cell ? number : cell;
}
