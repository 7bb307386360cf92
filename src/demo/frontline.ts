import type { Db } from 'mongodb';
import { users } from '../db/collections';
import { rebuildFrontlineIndex } from '../db/frontline-index';

/** The demo's frontline person: works in Berlin, named `fiona` by the demo's events. */
export const DEMO_FRONTLINE = {
  key: 'frontline',
  email: 'frontline@cxloop.localhost',
  name: 'Fiona Frontline',
  role: 'frontline',
  units: ['berlin'],
} as const;

export const DEMO_FRONTLINE_ID = 'fiona';

/** Berlin's two agents in the demo history: every other Berlin reply is Fiona's, the rest her colleague's. */
const BERLIN_AGENTS = [DEMO_FRONTLINE_ID, 'felix'];

/** The agent a demo reply is attributed to (its event's `data.agent`): Berlin's replies only, by turns. */
export function demoAgent(attributes: Record<string, unknown>, replyNumber: number): string | undefined {
  return attributes.location === 'Berlin' ? BERLIN_AGENTS[replyNumber % BERLIN_AGENTS.length] : undefined;
}

/** Gives the demo frontline person their frontline ID, unless an admin has set one. */
export async function seedDemoFrontline(db: Db): Promise<void> {
  await users(db).updateOne(
    { _id: DEMO_FRONTLINE.email, frontlineId: { $exists: false } },
    { $set: { frontlineId: DEMO_FRONTLINE_ID } },
  );
  await rebuildFrontlineIndex(db);
}
