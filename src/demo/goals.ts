import type { Db } from 'mongodb';
import { settings } from '../db/collections';
import { loadUnits } from '../db/units';
import type { Goal } from '../domain/goals';
import { rollupDay } from '../domain/rollup';
import { quarterOf, setGoal } from '../app/unit-comparison';

const SEEDED = 'demo-goals-seeded';

/** The quarter before the one a day is in, e.g. `2026-Q4` before 2027-Q1. */
function previousQuarter(day: string): string {
  const [year, quarter] = quarterOf(day).split('-Q').map(Number) as [number, number];
  return quarter === 1 ? `${year - 1}-Q4` : `${year}-Q${quarter - 1}`;
}

/** The demo's goals: this quarter's for the company and each region, and last quarter's for Europe. */
function demoGoals(today: string): { unit: string; goal: Goal }[] {
  const period = quarterOf(today);
  return [
    { unit: 'company', goal: { metric: 'nps', comparator: '>=', target: 30, period } },
    { unit: 'eu', goal: { metric: 'nps', comparator: '>=', target: 40, period } },
    { unit: 'eu', goal: { metric: 'nps', comparator: '>=', target: 40, period: previousQuarter(today) } },
    { unit: 'na', goal: { metric: 'csat', comparator: '>=', target: 80, period } },
    { unit: 'apac', goal: { metric: 'ces', comparator: '>=', target: 5, period } },
  ];
}

/**
 * Sets the demo's goals once (an admin's later changes and deletions are kept), as `demo`, audited
 * like any goal; a goal of a unit the tree no longer has is left out.
 */
export async function seedDemoGoals(db: Db, today = rollupDay(Date.now())): Promise<void> {
  if (await settings(db).findOne({ _id: SEEDED })) return;
  const units = await loadUnits(db);
  for (const { unit, goal } of demoGoals(today))
    if (units.some((u) => u.id === unit)) await setGoal(db, units, { actor: 'demo', may: () => true }, unit, goal);
  await settings(db).updateOne({ _id: SEEDED }, { $set: { value: today } }, { upsert: true });
}
