import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type CommandTally, scansCollection, startCommandTally } from '../../src/db/command-tally';
import { type Harness, createProgram, inviteNewCustomer, postForm, startHarness, waitUntil } from '../support/harness';

const NPS_ONLY = [{ id: 'nps', type: 'nps' as const, required: true, label: 'Recommend us?' }];

describe('a reply through the web', () => {
  let h: Harness;
  let tally: CommandTally;

  beforeAll(async () => {
    // Started first, so the web's client reports its commands (only clients connected afterwards do).
    tally = startCommandTally();
    h = await startHarness();
  });
  afterAll(async () => {
    tally.stop();
    await h?.stop();
  });

  /** The web's own commands while `act` runs (the worker has a client of its own): `collection command`, and scans. */
  async function webCommands(act: () => Promise<void>): Promise<{ sent: string[]; scans: string[] }> {
    const sent: string[] = [];
    const scans: string[] = [];
    const listener = (event: CommandStartedEvent) => {
      const key = `${String(event.command[event.commandName])} ${event.commandName}`;
      sent.push(key);
      if (scansCollection(event)) scans.push(key);
    };
    h.web.database.client.on('commandStarted', listener);
    try {
      await act();
    } finally {
      h.web.database.client.off('commandStarted', listener);
    }
    return { sent, scans };
  }

  /** Puts the invitation back to where it is between the reply's insert and its workflow's acknowledgement. */
  const unacknowledged = (invitationId: string) =>
    c.invitations(h.db).updateOne({ _id: invitationId }, { $set: { status: 'sent' } });

  it('stores a first answer without reading for an earlier reply, each command by _id alone', async () => {
    const programId = await createProgram(h, { survey: { editGrace: '1h', questions: NPS_ONLY } });
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const { sent, scans } = await webCommands(async () => {
      const res = await postForm(link, { nps: '9' });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Edit my answers');
    });
    expect(sent).not.toContain('responses find');
    expect(sent.filter((key) => key === 'responses insert')).toHaveLength(1);
    expect(scans).toEqual([]);
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toMatchObject({ answers: { nps: 9 }, edits: 0 });
  });

  it('edits a reply stored before its workflow acknowledged it, as any edit', async () => {
    const programId = await createProgram(h, { survey: { editGrace: '1h', questions: NPS_ONLY } });
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '3' })).status).toBe(200);
    await waitUntil(
      'the reply to be acknowledged',
      async () => (await c.invitations(h.db).findOne({ _id: invitationId }))?.status === 'answered',
    );
    await unacknowledged(invitationId);
    const edit = await postForm(link, { nps: '7' });
    expect(edit.status).toBe(200);
    expect(await edit.text()).toContain('Edit my answers');
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toMatchObject({ answers: { nps: 7 }, edits: 1 });
  });

  it('answers a post to a reply closed before its acknowledgement from that reply: a retry thanked, others refused', async () => {
    const programId = await createProgram(h, { survey: { editGrace: '0s', questions: NPS_ONLY } });
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '10' })).status).toBe(200);
    await waitUntil(
      'the reply to be final',
      async () => (await c.responses(h.db).findOne({ _id: invitationId }))?.finalizedAt,
    );
    await unacknowledged(invitationId);
    const retried = await postForm(link, { nps: '10' });
    expect(retried.status).toBe(200);
    expect(await retried.text()).toContain('Thank you');
    // Invalid for a first answer (422), but this link's reply is closed: the page says so.
    expect((await postForm(link, {})).status).toBe(409);
    expect((await postForm(link, { nps: '1' })).status).toBe(409);
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toMatchObject({ answers: { nps: 10 }, edits: 0 });
  });
});
