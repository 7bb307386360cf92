import express, { type Request, type Router } from 'express';
import type { Db } from 'mongodb';
import { compareUnits, deleteGoalWithKey, setGoalWithKey, unitGoals } from '../../app/unit-comparison';
import { keyUnitAccessOf } from '../../app/units';
import { allowScopes } from '../access';
import { type ApiKeyLocals, apiActor } from '../auth';

/** Units compared and their goals, within the units the key sees; goals set and deleted with an admin key. */
export function unitComparisonApiRoutes(router: Router, { db }: { db: Db }): void {
  const access = (locals: Record<string, unknown>) => keyUnitAccessOf(db, locals.apiKey as ApiKeyLocals);

  router.get('/units/:id/comparison', allowScopes('read'), async (req: Request<{ id: string }>, res) => {
    res.json(await compareUnits(db, await access(res.locals), { ...req.query, unit: req.params.id }));
  });

  router.get('/goals', allowScopes('read'), async (req, res) => {
    res.json(await unitGoals(db, await access(res.locals), req.query));
  });

  router.put('/goals', allowScopes('admin'), express.json({ limit: '4kb', type: () => true }), async (req, res) => {
    res.json(await setGoalWithKey(db, await access(res.locals), apiActor(res.locals.apiKey), req.body));
  });

  router.delete(
    '/goals/:unit/:metric/:period',
    allowScopes('admin'),
    async (req: Request<{ unit: string; metric: string; period: string }>, res) => {
      res.json(await deleteGoalWithKey(db, await access(res.locals), apiActor(res.locals.apiKey), req.params));
    },
  );
}
