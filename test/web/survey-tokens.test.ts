import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { migrate } from '../../src/db/migrate';
import {
  type Harness,
  createProgram,
  inviteNewCustomer,
  mailTo,
  startHarness,
  surveyLinkIn,
  uid,
  waitUntil,
} from '../support/harness';

describe('survey links and senders', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('stores only a hash of the token, and every reminder carries the same working link', async () => {
    const programId = await createProgram(h, { reminders: ['1s'] });
    const { link, invitationId, customer } = await inviteNewCustomer(h, programId);
    const token = link.split('/s/')[1]!;
    const invitation = await c.invitations(h.db).findOne({ _id: invitationId });
    expect(invitation).not.toHaveProperty('token');
    expect(invitation!.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(invitation)).not.toContain(token);

    const reminder = await waitUntil('the reminder', async () =>
      (await mailTo(h, customer.email)).find((m) => m.subject.startsWith('Reminder')),
    );
    expect(surveyLinkIn(reminder.text)).toBe(link);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`action="/s/${token}"`);
  });

  it('finds the invitation through the token index, and an older invitation by its own hash', async () => {
    const programId = await createProgram(h);
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const tokenHash = createHash('sha256').update(link.split('/s/')[1]!).digest('hex');
    expect(await c.surveyTokens(h.db).findOne({ _id: tokenHash })).toEqual({ _id: tokenHash, invitationId });
    expect((await fetch(link)).status).toBe(200);

    // Invitations created before the index existed have no entry in it.
    await c.surveyTokens(h.db).deleteOne({ _id: tokenHash });
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="nps"');
    expect((await fetch(`${link.slice(0, -4)}AAAA`)).status).toBe(404);
  });

  it('when migrated, then the plain-text tokens of earlier versions are hashed, once per database', async () => {
    const db = h.web.database.client.db(uid('upgrade'));
    const legacy = (id: string) => ({ _id: id, token: `plain-${id}` });
    await db.collection<{ _id: string; token: string }>('invitations').insertOne(legacy('first'));
    await migrate(db);
    expect(await c.invitations(db).findOne({ _id: 'first' })).toEqual({
      _id: 'first',
      tokenHash: createHash('sha256').update('plain-first').digest('hex'),
    });
    // A second migration finds the step done and reads no invitation.
    await db.collection<{ _id: string; token: string }>('invitations').insertOne(legacy('second'));
    await migrate(db);
    expect(await c.invitations(db).findOne({ _id: 'second' })).toHaveProperty('token');
    await db.dropDatabase();
  });

  it('quotes the sender display name, so it cannot change the address', async () => {
    const programId = await createProgram(h, {
      sender: { name: 'Acme, Inc. "Support" <x@evil.test>', email: 'care@acme.example' },
    });
    const { mail } = await inviteNewCustomer(h, programId);
    expect(mail.from).toMatch(/<care@acme\.example>$/);
    expect(mail.from).toContain('Acme, Inc.');
    expect(mail.headers.from ?? mail.from).not.toMatch(/<x@evil\.test>$/);
  });
});
