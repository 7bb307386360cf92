import type { Role } from './access';

/**
 * What personal data of customers a role sees in the admin UI (the README's roles table is the
 * contract, docs/security.md explains it):
 * - `customers`: names, emails, attributes (revenue) and customer pages — of every customer, only
 *   of those with a case in the person's case scope, or none;
 * - `comments`: verbatims on aggregate pages as written with their customer, or anonymised (no
 *   customer, emails and phone numbers masked);
 * - `bulkExports`: may download every customer and every reply as CSV.
 */
export interface PersonalDataView {
  customers: 'all' | 'in-case-scope' | 'none';
  comments: 'as-written' | 'anonymised';
  bulkExports: boolean;
}

const VIEWS: Record<Role, PersonalDataView> = {
  admin: { customers: 'all', comments: 'as-written', bulkExports: true },
  operations: { customers: 'all', comments: 'as-written', bulkExports: true },
  case_owner: { customers: 'in-case-scope', comments: 'anonymised', bulkExports: false },
  viewer: { customers: 'none', comments: 'anonymised', bulkExports: false },
  // Only their own replies' comments, anonymised, on My feedback.
  frontline: { customers: 'none', comments: 'anonymised', bulkExports: false },
};

export function personalDataViewOf(role: Role): PersonalDataView {
  return VIEWS[role];
}

/** Roles that see every customer and may export them all (for route declarations). */
export const ROLES_SEEING_ALL_CUSTOMERS: Role[] = (Object.keys(VIEWS) as Role[]).filter(
  (role) => VIEWS[role].customers === 'all',
);

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
/**
 * A date (`2026-12-05`, `(05.12.2026`), kept as it is, or else a run of 7 or more digits with the
 * separators people write in phone numbers (`+49 30 1234-567`, `(030) 123 45 67`), masked; shorter
 * numbers (order numbers, amounts) are left alone. One pattern, so a date is never read as a phone.
 */
const DATE_OR_PHONE = /(\(?(?<!\d)\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?!\d))|\+?\(?\d(?:[\s().\-/]{0,2}\d){6,}/g;

/** A comment without the contact details a customer may have typed into it, for anonymised views. */
export function maskContactDetails(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(DATE_OR_PHONE, (match, date: string | undefined) => (date ? match : '[phone]'));
}
