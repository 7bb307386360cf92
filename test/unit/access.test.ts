import { describe, expect, it } from 'vitest';
import { roleGrants, scopeGrants } from '../../src/domain/access';
import { redactUrl } from '../../src/log';

describe('roles and scopes', () => {
  it('grants a role only what lists it', () => {
    expect(roleGrants('viewer', ['admin', 'viewer'])).toBe(true);
    expect(roleGrants('case_owner', ['admin', 'operations'])).toBe(false);
    expect(roleGrants(undefined, ['admin'])).toBe(false);
  });

  it('grants a key one of the needed scopes, and admin keys everything', () => {
    expect(scopeGrants(['events:write'], ['events:write'])).toBe(true);
    expect(scopeGrants(['events:write'], ['write'])).toBe(false);
    expect(scopeGrants(['read', 'write'], ['write'])).toBe(true);
    expect(scopeGrants(['admin'], ['events:write'])).toBe(true);
    expect(scopeGrants([], ['read'])).toBe(false);
  });
});

describe('log redaction', () => {
  const token = 'AbCdEf0123456789_-AbCdEf0123456789_-abcdefg';
  it('keeps only the first six characters of survey and unsubscribe tokens', () => {
    expect(redactUrl(`/s/${token}?score=9`)).toBe('/s/AbCdEf…?score=9');
    expect(redactUrl(`/u/${token}`)).toBe('/u/AbCdEf…');
    expect(redactUrl(`/s/${token}`)).not.toContain(token.slice(6, 20));
  });

  it('leaves other paths alone', () => {
    expect(redactUrl('/admin/customers/cust-1')).toBe('/admin/customers/cust-1');
    expect(redactUrl('/api/events')).toBe('/api/events');
  });
});
