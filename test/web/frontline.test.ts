import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { digestPreferences } from '../../src/db/digests';
import { type AdminClient, createUser, signIn } from '../support/admin';
import {
  ADMIN,
  type Harness,
  api,
  createProgram,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  uid,
  waitUntil,
  workflowEnded,
} from '../support/harness';
import { invitationWorkflowId } from '../../workflows/definitions';

/** The row of one metric on My feedback. */
const rowOf = (html: string, metric: string) =>
  new RegExp(`<tr data-metric="${metric}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';

describe('frontline attribution: replies carry the agent, the person sees their own feedback, praise is passed on', () => {
  let h: Harness;
  let admin: AdminClient;
  let fiona: { email: string; password: string };
  let manager: { email: string; password: string };
  const fionaId = uid('agent-fiona');
  const otherId = uid('agent-other');

  beforeAll(async () => {
    // Its own database: the unit tree is one document per database.
    h = await startHarness({ env: { MONGODB_DB: `cxloop-frontline-${Date.now()}` } });
    fiona = await createUser(h.db, 'frontline');
    manager = await createUser(h.db, 'case_owner');
    await c.users(h.db).updateOne({ _id: fiona.email }, { $set: { name: 'Fiona Fairweather', units: ['harbour'] } });
    const tree = [
      { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
      { id: 'harbour', name: 'Harbour Crew', parentId: 'company', manager: manager.email, match: { region: ['EU'] } },
    ];
    const saved = await api(h, 'PUT', '/api/units', { units: tree, version: 0 });
    expect(saved.status, saved.text).toBe(200);
    admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
  });
  afterAll(() => h?.stop());

  it('an admin sets a person’s frontline ID (audited); the same ID for a second person is a 409', async () => {
    const set = await admin.post(`/admin/users/${encodeURIComponent(fiona.email)}`, {
      action: 'frontline',
      frontlineId: fionaId,
    });
    expect(set.status).toBe(200);
    expect(await set.text()).toContain(`frontline ID is now ${fionaId}`);
    expect((await c.users(h.db).findOne({ _id: fiona.email }))?.frontlineId).toBe(fionaId);
    expect(await c.auditLog(h.db).findOne({ action: 'user.frontline', subject: `user ${fiona.email}` })).toMatchObject({
      before: { frontlineId: null },
      after: { frontlineId: fionaId },
    });
    const taken = await api(h, 'POST', `/api/users/${encodeURIComponent(manager.email)}`, {
      action: 'frontline',
      frontlineId: fionaId,
    });
    expect(taken.status).toBe(409);
    const invalid = await api(h, 'POST', `/api/users/${encodeURIComponent(manager.email)}`, {
      action: 'frontline',
      frontlineId: 'has.a.dot',
    });
    expect(invalid.status).toBe(400);
  });

  it('replies carry data.agent; My feedback shows the person’s figures and own comments only; praise goes to them and their manager once', async () => {
    const programId = await createProgram(h);
    // The manager reads in German (their digest language); Fiona chose nothing: the program's English.
    await digestPreferences(h.db).insertOne({
      _id: manager.email,
      frequency: 'weekly',
      locale: 'de',
      updatedAt: new Date(),
      updatedBy: 'test',
    });
    const praised = await inviteNewCustomer(h, programId, {
      customer: { attributes: { region: 'EU' } },
      data: { agent: fionaId },
    });
    const other = await inviteNewCustomer(h, programId, {
      customer: { attributes: { region: 'EU' } },
      data: { agent: otherId },
    });
    expect((await c.invitations(h.db).findOne({ _id: praised.invitationId }))?.agent).toBe(fionaId);
    expect(
      (await postForm(praised.link, { nps: '10', went_well: 'Fiona and the Harbour Crew were wonderful' })).status,
    ).toBe(200);
    expect((await postForm(other.link, { nps: '3', went_wrong: 'a grumble meant for another agent' })).status).toBe(
      200,
    );
    for (const [invitationId, agent] of [
      [praised.invitationId, fionaId],
      [other.invitationId, otherId],
    ] as const)
      await waitUntil('the reply to be scored with its agent', async () => {
        const reply = await c.responses(h.db).findOne({ _id: invitationId });
        return reply?.finalizedAt && reply.agent === agent ? true : undefined;
      });

    const client = await signIn(h.baseUrl, fiona.email, fiona.password);
    // Fiona: one promoter (NPS 100); her team, Harbour Crew: the promoter and the detractor (NPS 0),
    // once the scores' owner has counted both.
    const page = await waitUntil('My feedback to show the praised reply and both team replies', async () => {
      const res = await client.get('/admin/my-feedback');
      const html = await res.text();
      const counted =
        html.includes('Fiona and the Harbour Crew were wonderful') && /<td data-team>0<br>/.test(rowOf(html, 'nps'));
      return res.status === 200 && counted ? html : undefined;
    });
    expect(page).not.toContain('a grumble meant for another agent');
    expect(rowOf(page, 'nps')).toMatch(/<td data-mine>100<br>/);
    expect(page).toContain('Harbour Crew');
    expect(page).toContain('href="/admin/my-feedback"');
    expect(page).not.toContain('href="/admin/dashboard"');

    // The praise: to Fiona (named, and in the team named) and to the team's manager, each once.
    const subjects = async (email: string) =>
      (await mailTo(h, email)).filter((m) => /^(Praise from|Lob von) /.test(m.subject)).map((m) => m.subject);
    await waitUntil('both praise emails', async () =>
      (await subjects(fiona.email)).length && (await subjects(manager.email)).length ? true : undefined,
    );
    await workflowEnded(h, invitationWorkflowId(praised.invitationId));
    expect(await subjects(fiona.email)).toEqual(['Praise from a customer for Fiona Fairweather, Harbour Crew']);
    expect(await subjects(manager.email)).toEqual(['Lob von einem Kunden für Fiona Fairweather, Harbour Crew']);
    expect(await c.emails(h.db).findOne({ _id: `praise:${praised.invitationId}:${manager.email}` })).toMatchObject({
      status: 'sent',
    });
    // Nobody is praised by a detractor.
    expect(await c.emails(h.db).countDocuments({ _id: { $regex: `^praise:${other.invitationId}` } })).toBe(0);
  });

  it('a frontline person is refused every page and API that shows customers, cases or others’ comments', async () => {
    const client = await signIn(h.baseUrl, fiona.email, fiona.password);
    for (const path of [
      '/admin/cases',
      '/admin/customers',
      '/admin/dashboard',
      '/admin/quadrants',
      '/admin/journeys',
      '/admin/case-metrics',
      '/admin/units/compare',
      '/admin/programs',
      '/admin/export/replies.csv',
      '/admin/api',
    ]) {
      const res = await client.get(path);
      await res.arrayBuffer();
      expect(res.status, path).toBe(403);
    }
    // The API takes keys, never a session.
    const apiRes = await fetch(`${h.baseUrl}/api/customers`, { headers: { cookie: client.cookie } });
    expect(apiRes.status).toBe(401);
    // Home is their page; a viewer has none.
    const home = await client.get('/admin');
    expect(home.headers.get('location')).toBe('/admin/my-feedback');
    const viewer = await createUser(h.db, 'viewer');
    const viewing = await signIn(h.baseUrl, viewer.email, viewer.password);
    expect((await viewing.get('/admin/my-feedback')).status).toBe(403);
  });
});
