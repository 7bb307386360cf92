import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Db } from 'mongodb';
import type { Metrics } from '../metrics';

/** Liveness, readiness and Prometheus metrics for operators and orchestrators. */
export function opsRouter({ db, temporal, metrics }: { db: Db; temporal: Client; metrics: Metrics }): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [mongodb, temporalCheck] = await Promise.all([
      withTimeout(db.command({ ping: 1 })),
      withTimeout(temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const ready = mongodb === 'ok' && temporalCheck === 'ok';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', checks: { mongodb, temporal: temporalCheck } });
  });

  router.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(metrics.render());
  });

  return router;
}

async function withTimeout(check: Promise<unknown>, ms = 2000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
