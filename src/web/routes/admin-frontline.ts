import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import { type FrontlineFigure, frontlineFeedback } from '../../app/frontline';
import { METRIC_DECIMALS } from '../../domain/statistics';
import { roundTo } from '../../domain/scoring';
import { allowRoles } from '../access';
import type { SignedInUser } from '../auth';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

const STANDING_LABELS = {
  above: 'above the team',
  below: 'below the team',
  level: 'within the team’s range',
} as const;

/** A figure as the page shows it: value and 95 % interval, or a dash without replies. */
function shown(estimate: FrontlineFigure['mine'], figure: FrontlineFigure) {
  if (!estimate) return { value: '–', interval: '', replies: 0 };
  const round = (value: number) => roundTo(value, METRIC_DECIMALS[figure.metric]);
  return {
    value: String(round(estimate.value)),
    interval: `${round(estimate.interval.low)} to ${round(estimate.interval.high)}`,
    replies: estimate.replies,
  };
}

/** My feedback: a frontline person's own figures and comments against their team's. */
export function frontlineRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  router.get('/my-feedback', allowRoles(...roles), async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const report = await frontlineFeedback(db, user);
    send(req, res, 'my-feedback', {
      title: 'My feedback',
      report,
      figures: report.figures.map((figure) => ({
        // `key`, not `metric`: a template helper has that name.
        key: figure.metric,
        label: figure.label,
        mine: shown(figure.mine, figure),
        team: shown(figure.team, figure),
        standing: figure.standing ? STANDING_LABELS[figure.standing] : '',
      })),
    });
  });
}
