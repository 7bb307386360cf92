import { describe, expect, it } from 'vitest';
import { ignoredIdentityChanges } from '../../src/domain/event-profile';

describe('ignoredIdentityChanges', () => {
  const stored = { email: 'ada@example.com', name: 'Ada' };
  const profile = (extra: Record<string, string> = {}) => ({ id: 'c1', email: 'ada@example.com', ...extra });

  it('when the key may change customers, then nothing is ignored', () => {
    expect(ignoredIdentityChanges(stored, profile({ email: 'x@example.com' }), 'change')).toBeUndefined();
  });
  it('when the customer is new, then nothing is ignored', () => {
    expect(ignoredIdentityChanges(null, profile({ name: 'Bob' }), 'create-only')).toBeUndefined();
  });
  it('when the event repeats the stored email and name, then nothing is ignored', () => {
    expect(ignoredIdentityChanges(stored, profile({ name: 'Ada' }), 'create-only')).toBeUndefined();
  });
  it('when an events-only key changes email and name, then both are ignored with the reason', () => {
    expect(ignoredIdentityChanges(stored, profile({ email: 'x@example.com', name: 'Eve' }), 'create-only')).toEqual({
      ignored: ['customer.email', 'customer.name'],
      reason: expect.stringMatching(/write scope/),
    });
  });
  it('when an events-only key adds a name the record lacks, then it is ignored too (a name addresses the mail)', () => {
    expect(ignoredIdentityChanges({ email: 'ada@example.com' }, profile({ name: 'Eve' }), 'create-only')).toEqual({
      ignored: ['customer.name'],
      reason: expect.any(String),
    });
  });
});
