/**
 * Live demo cases in every state, so that the case queues and a case's page have something to
 * show beside Max's open case: six more demo customers buy, answer as detractors, and the demo
 * works each case through the public API (and answers the follow-up survey) to its state.
 */
import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { oncePerDatabase } from '../db/markers';
import type { CaseStatus } from '../domain/cases';
import type { CustomerProfile } from '../domain/customer';
import { followUpEventId } from '../domain/follow-up-program';
import { invitationIdFor } from '../../workflows/definitions';
import { answerAsCustomer } from './seed';

interface DemoCase {
  customer: CustomerProfile;
  complaint: string;
  state: CaseStatus;
  rootCause?: string;
}

const customer = (id: string, name: string, region: string, revenue: number): CustomerProfile => ({
  id,
  email: `${id.replace('cust-', '')}@example.com`,
  name,
  locale: 'en',
  timezone: region === 'NA' ? 'America/New_York' : 'Europe/London',
  // Not the `demo` cohort: the demo campaign is for the three demo customers only.
  attributes: { region, revenue, cohort: 'cases' },
});

export const DEMO_CASES: DemoCase[] = [
  { customer: customer('cust-lena', 'Lena Lang', 'EU', 3_000), complaint: 'Nobody called me back.', state: 'open' },
  {
    customer: customer('cust-omar', 'Omar Odell', 'EU', 22_000),
    complaint: 'I was charged twice for one order.',
    state: 'in_progress',
  },
  {
    customer: customer('cust-priya', 'Priya Patel', 'NA', 15_000),
    complaint: 'The parcel never arrived.',
    state: 'waiting_on_customer',
  },
  {
    customer: customer('cust-sam', 'Sam Stone', 'NA', 9_000),
    complaint: 'The delivery was three days late.',
    state: 'resolved',
    rootCause: 'Delivery delay',
  },
  {
    customer: customer('cust-ines', 'Ines Ito', 'EU', 41_000),
    complaint: 'Wrong amount on my invoice.',
    state: 'reopened',
    rootCause: 'Billing error',
  },
  {
    customer: customer('cust-tom', 'Tom Tran', 'EU', 6_000),
    complaint: 'The courier was rude at the door.',
    state: 'closed',
    rootCause: 'Staff behaviour',
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every second until it returns a value; null after `seconds`. */
async function poll<T>(seconds: number, probe: () => Promise<T | null | undefined | false>): Promise<T | null> {
  for (let i = 0; i < seconds; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(1000);
  }
  return null;
}

/**
 * Works the demo cases to their states, once per database (every step checks where the case is,
 * so an interrupted run simply starts again at the next start). In the background: each case opens
 * once its reply's edit window (a minute) has passed.
 */
export function workDemoCases(db: Db, baseUrl: string, apiKey: string, tokenSecret: string) {
  return oncePerDatabase(db, 'demo-cases', async () => {
    const api = (path: string, body: unknown) =>
      fetch(`${baseUrl}/api${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const answer = (invitationId: string, fields: Record<string, string>) =>
      answerAsCustomer(db, baseUrl, tokenSecret, invitationId, fields, 300);
    const statusOf = async (caseId: string) => (await c.cases(db).findOne({ _id: caseId }))?.status;
    const act = async (caseId: string, action: string, fields: Record<string, string> = {}) => {
      const response = await api(`/cases/${encodeURIComponent(caseId)}/${action}`, fields);
      if (!response.ok) throw new Error(`demo case ${caseId}: ${action} refused (${await response.text()})`);
    };

    const work = async ({ customer: who, complaint, state, rootCause }: DemoCase) => {
      const eventId = `demo-purchase-${who.id}`;
      const event = { id: eventId, type: 'purchase', occurredAt: new Date().toISOString(), customer: who, data: {} };
      await api('/events', event);
      const caseId = invitationIdFor('purchase-nps', eventId);
      await answer(caseId, { nps: '2', went_wrong: complaint });
      // Ready once its owner was told (the workflow takes actions from then on).
      const ready = await poll(600, () => c.emails(db).findOne({ _id: `case:${caseId}:assigned-0`, status: 'sent' }));
      if (!ready) throw new Error(`the demo case ${caseId} did not open`);
      if (state === 'open') return;
      if ((await statusOf(caseId)) === 'open') {
        if (rootCause) await act(caseId, 'resolve', { rootCause, customerMessage: `About "${complaint}": fixed.` });
        else await act(caseId, 'acknowledge');
      }
      if (state === 'waiting_on_customer' && (await statusOf(caseId)) === 'in_progress') await act(caseId, 'wait');
      if (state === 'reopened' || state === 'closed')
        await answer(invitationIdFor('case-follow-up', followUpEventId(1, caseId)), {
          solved: state === 'closed' ? 'yes' : 'no',
          csat: state === 'closed' ? '5' : '2',
        });
    };
    await Promise.all(DEMO_CASES.map(work));
    return DEMO_CASES.length;
  });
}
