import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/domain/access';
import { ROLES_SEEING_ALL_CUSTOMERS, maskContactDetails, personalDataViewOf } from '../../src/domain/personal-data';

describe('maskContactDetails', () => {
  it('when a comment holds an email address, then it is masked', () => {
    expect(maskContactDetails('write to anna.meier+cx@example.co.uk please')).toBe('write to [email] please');
    expect(maskContactDetails('Jörg@müller-bau.de antwortet')).toBe('[email] antwortet');
  });

  it('when a comment holds a phone number in any usual form, then it is masked', () => {
    for (const phone of ['+49 30 1234-567', '(030) 123 45 67', '0171/2345678', '555.123.4567', '+441234567890'])
      expect(maskContactDetails(`call me on ${phone} today`), phone).toBe('call me on [phone] today');
  });

  it('when a comment holds short numbers, dates or amounts, then they stay', () => {
    const text = 'Order 12345 of 2026-12-05 (05.12.2026) cost 249.99 EUR, 3 items, NPS 2';
    expect(maskContactDetails(text)).toBe(text);
  });

  it('when a comment has no contact details, then it is unchanged', () => {
    expect(maskContactDetails('The delivery was late and the driver rude.')).toBe(
      'The delivery was late and the driver rude.',
    );
  });
});

describe('personalDataViewOf', () => {
  it('when the role is admin or operations, then every customer, comments as written, bulk exports', () => {
    for (const role of ['admin', 'operations'] as const)
      expect(personalDataViewOf(role)).toEqual({ customers: 'all', comments: 'as-written', bulkExports: true });
    expect(ROLES_SEEING_ALL_CUSTOMERS).toEqual(['admin', 'operations']);
  });

  it('when the role is case owner, then only the customers of their cases, anonymised comments, no bulk export', () => {
    expect(personalDataViewOf('case_owner')).toEqual({
      customers: 'in-case-scope',
      comments: 'anonymised',
      bulkExports: false,
    });
  });

  it('when the role is viewer, then no customer and anonymised comments', () => {
    expect(personalDataViewOf('viewer')).toEqual({ customers: 'none', comments: 'anonymised', bulkExports: false });
  });

  it('every role has a view', () => {
    for (const role of ROLES) expect(personalDataViewOf(role)).toBeDefined();
  });
});
