import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { readRollups } from '../db/rollup-totals';
import { loadUnits } from '../db/units';
import { lastDays } from '../domain/dashboard';
import { standingAgainstTeam } from '../domain/frontline';
import { maskContactDetails } from '../domain/personal-data';
import { AGENT_COMMENTS, agentSegment, rollupDay } from '../domain/rollup';
import { type Estimate, METRIC_LABELS, type Metric, metricEstimate, totalCounters } from '../domain/statistics';
import { segmentForUnit } from '../domain/units';
import { dashboardPrograms } from './insight';

/** The period the page covers: the last 90 days, today included. */
export const FRONTLINE_DAYS = 90;
/** Own comments shown, newest first. */
export const FRONTLINE_COMMENTS = 10;
const METRICS_SHOWN: Metric[] = ['nps', 'csat', 'ces'];

export interface FrontlineFigure {
  metric: Metric;
  label: string;
  mine: Estimate | null;
  team: Estimate | null;
  standing: ReturnType<typeof standingAgainstTeam>;
}

export interface FrontlineReport {
  frontlineId: string | null;
  /** The unit the person is in (their first), whose figures are the team average; the whole organisation at the root. */
  team: { id: string; name: string } | null;
  from: string;
  to: string;
  figures: FrontlineFigure[];
  comments: { submittedAt: Date; comment: string; nps?: number; csat?: number; ces?: number }[];
}

/**
 * A frontline person's own figures over the last 90 days with 95 % intervals, beside their team's
 * (the unit they are in), and their own latest comments, anonymised. Reads only rollup months by
 * `_id` (the agent's segment and the team's) and the quoted replies by `_id`: no scan.
 */
export async function frontlineFeedback(
  db: Db,
  person: { frontlineId?: string; units?: readonly string[] },
  today = rollupDay(Date.now()),
): Promise<FrontlineReport> {
  const period = lastDays(today, FRONTLINE_DAYS);
  const units = await loadUnits(db);
  const root = units.find((unit) => unit.parentId === null);
  const team = units.find((unit) => unit.id === person.units?.[0]) ?? root ?? null;
  const empty = { frontlineId: person.frontlineId ?? null, team, ...period, figures: [], comments: [] };
  if (!person.frontlineId || !team) return empty;
  const mine = agentSegment(person.frontlineId);
  const teamSegment = segmentForUnit(units, team.id);
  const docs = await readRollups(db, {
    programIds: (await dashboardPrograms(db)).map((program) => program.id),
    periods: [period],
    segment: mine,
    split: period,
    splitSegments: [teamSegment],
  });
  const counters = (segment: string) => totalCounters(docs.filter((doc) => doc.segment === segment));
  const figures = METRICS_SHOWN.map((metric) => {
    const own = metricEstimate(counters(mine), metric);
    const teams = metricEstimate(counters(teamSegment), metric);
    return { metric, label: METRIC_LABELS[metric], mine: own, team: teams, standing: standingAgainstTeam(own, teams) };
  });
  return { ...empty, figures, comments: await ownComments(db, person.frontlineId, docs) };
}

/**
 * The person's latest comments: the replies their rollups keep as comment examples (the latest few
 * per day and program), newest days first; a reply is quoted only if it is attributed to them.
 */
async function ownComments(
  db: Db,
  frontlineId: string,
  docs: (c.RollupTotalsDoc & { examples?: Record<string, string[]> })[],
): Promise<FrontlineReport['comments']> {
  const ids = docs
    .filter((doc) => doc.segment === agentSegment(frontlineId))
    .sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0))
    .flatMap((doc) => [...(doc.examples?.[AGENT_COMMENTS] ?? [])].reverse());
  const replies = await Promise.all(
    [...new Set(ids)].slice(0, FRONTLINE_COMMENTS * 2).map((id) =>
      c.responses(db).findOne(
        { _id: id },
        {
          projection: {
            agent: 1,
            submittedAt: 1,
            'scores.verbatim': 1,
            'scores.nps': 1,
            'scores.csat': 1,
            'scores.ces': 1,
          },
        },
      ),
    ),
  );
  return replies
    .flatMap((reply) => {
      const comment = reply?.scores?.verbatim.trim();
      if (!reply || reply.agent !== frontlineId || !comment) return [];
      const { nps, csat, ces } = reply.scores!;
      return [{ submittedAt: reply.submittedAt, comment: maskContactDetails(comment), nps, csat, ces }];
    })
    .sort((a, b) => b.submittedAt.getTime() - a.submittedAt.getTime())
    .slice(0, FRONTLINE_COMMENTS);
}
