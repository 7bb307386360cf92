import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import {
  type Harness,
  api,
  createProgram,
  inviteNewCustomer,
  postForm,
  startHarness,
  waitUntil,
} from '../support/harness';

describe('program versions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('when a program in use is edited, then running invitations keep the survey they were sent with and new ones get the new one', async () => {
    const programId = await createProgram(h);
    const before = await inviteNewCustomer(h, programId);
    const sentWith = await c.invitations(h.db).findOne({ _id: before.invitationId });
    expect(sentWith?.programVersion).toMatch(new RegExp(`^${programId}@[0-9a-f]{16}$`));

    // Operations replace the NPS question by a CSAT one and reword the email.
    const { _id, createdAt, updatedAt, versionId, ...stored } = (await c.programs(h.db).findOne({ _id: programId }))!;
    void [_id, createdAt, updatedAt, versionId];
    const csatVersion = {
      ...stored,
      survey: {
        ...stored.survey,
        questions: [{ id: 'csat', type: 'csat', required: true, label: 'How satisfied are you?' }],
      },
      email: { ...stored.email, subject: 'A new question for you' },
    };
    const edited = await api(h, 'PUT', `/api/programs/${programId}`, csatVersion);
    expect(edited.status, edited.text).toBe(200);
    expect(edited.json.versionId).not.toBe(sentWith?.programVersion);

    // The first customer's link still shows and accepts the NPS question…
    const page = await (await fetch(before.link)).text();
    expect(page).toContain('How likely are you to recommend us?');
    expect(page).not.toContain('How satisfied are you?');
    expect((await postForm(before.link, { nps: '7' })).status).toBe(200);
    const scored = await waitUntil('the old reply to be scored', async () => {
      const reply = await c.responses(h.db).findOne({ _id: before.invitationId });
      return reply?.scores ? reply : undefined;
    });
    expect(scored.scores).toMatchObject({ nps: 7 });

    // …while a new customer gets the new survey and wording.
    const after = await inviteNewCustomer(h, programId);
    expect(after.mail.subject).toBe('A new question for you');
    const newPage = await (await fetch(after.link)).text();
    expect(newPage).toContain('How satisfied are you?');
    expect(newPage).not.toContain('How likely are you to recommend us?');
    expect((await c.invitations(h.db).findOne({ _id: after.invitationId }))?.programVersion).toBe(
      edited.json.versionId,
    );
    // Saving the same content again makes no new version.
    const again = await api(h, 'PUT', `/api/programs/${programId}`, csatVersion);
    expect(again.json.versionId).toBe(edited.json.versionId);
    expect(await c.programVersions(h.db).countDocuments({ programId })).toBe(2);
  });
});
