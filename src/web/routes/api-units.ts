import express, { type Router } from 'express';
import type { Db } from 'mongodb';
import { loadUnitTreeView, saveUnits } from '../../app/units';
import { allowScopes } from '../access';
import { apiActor } from '../auth';

/** The organisation tree: read by any reading key, replaced whole by an admin key. */
export function unitApiRoutes(router: Router, { db }: { db: Db }): void {
  router.get('/units', allowScopes('read'), async (_req, res) => {
    res.json(await loadUnitTreeView(db));
  });

  router.put('/units', allowScopes('admin'), express.json({ limit: '512kb', type: () => true }), async (req, res) => {
    res.json(await saveUnits(db, req.body, apiActor(res.locals.apiKey)));
  });
}
