/** People's roles in the admin UI. */
/** `frontline`: an employee who served customers; sees only their own feedback (My feedback). */
export const ROLES = ['admin', 'operations', 'case_owner', 'viewer', 'frontline'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  operations: 'Operations',
  case_owner: 'Case owner',
  viewer: 'Viewer',
  frontline: 'Frontline',
};

/** What an API key may do; `admin` includes every other scope. */
export const SCOPES = ['events:write', 'read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function scopeGrants(granted: readonly Scope[], needed: readonly Scope[]): boolean {
  return granted.includes('admin') || needed.some((scope) => granted.includes(scope));
}

export function roleGrants(role: Role | undefined, allowed: readonly Role[]): boolean {
  return role !== undefined && allowed.includes(role);
}
