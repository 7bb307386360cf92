import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import { GOOD_SHARE, SATISFIED_AT } from '../../domain/journeys';
import { allowRoles } from '../access';
import { lineChart } from '../charts';
import { sendTable } from '../exports';
import { journeyExport } from '../../app/table-exports';
import { type JourneySummary, journeySince, loadJourney, loadJourneys } from '../../app/journeys';
import { unitAccessOf } from '../../app/units';
import type { SignedInUser } from '../auth';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

/** Satisfaction per touch point against cumulative satisfaction: the gap is the journey's problem. */
function chartOf(journey: JourneySummary): string {
  return lineChart(
    `${journey.name}: satisfied per touch point and all the way`,
    journey.steps.map((s) => s.touchPoint),
    [
      { name: 'Satisfied at this touch point (%)', values: journey.steps.map((s) => s.satisfiedPercent) },
      { name: 'Satisfied at every touch point so far (%)', values: journey.steps.map((s) => s.cumulativePercent) },
    ],
    { min: 0, max: 100 },
  );
}

/** The journeys page (every journey) and one journey's view, for every signed-in role. */
export function journeyRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  const page = async (req: Request, res: Response, programId?: string) => {
    const since = journeySince(req.query);
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    const journeys = programId
      ? [await loadJourney(db, programId, since, access)]
      : await loadJourneys(db, since, access);
    send(req, res, 'journeys', {
      title: programId ? `Journey: ${journeys[0]!.name}` : 'Journeys',
      since: since.toISOString().slice(0, 10),
      single: Boolean(programId),
      satisfiedAt: SATISFIED_AT,
      goodShare: GOOD_SHARE,
      journeys: journeys.map((j) => ({
        ...j,
        chart: chartOf(j),
        finalCumulative: j.steps.at(-1)?.cumulativePercent ?? null,
        csv: `/admin/journeys/${encodeURIComponent(j.programId)}.csv`,
      })),
    });
  };
  router.get('/journeys', allowRoles(...roles), (req, res) => page(req, res));
  router.get('/journeys/:programId.csv', allowRoles(...roles), async (req: Request<{ programId: string }>, res) => {
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    await sendTable(res, db, await journeyExport(db, req.params.programId, req.query, access));
  });
  router.get('/journeys/:programId', allowRoles(...roles), (req: Request<{ programId: string }>, res) =>
    page(req, res, req.params.programId),
  );
}
