import { timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { type Request, Router } from 'express';
import type { Db } from 'mongodb';
import type { Logger } from '../../log';
import { allowPublic } from '../access';
import { HttpError } from '../errors';
import type { Metrics } from '../metrics';

export interface OpsDeps {
  db: Db;
  temporal: Client;
  metrics: Metrics;
  /** Bearer token for /metrics; without one, /metrics is only on the separate metrics port. */
  metricsToken?: string;
  logger: Logger;
}

/** Liveness and readiness for orchestrators: nothing secret, nothing internal in the answers. */
export function healthRouter({ db, temporal, logger }: Pick<OpsDeps, 'db' | 'temporal' | 'logger'>): Router {
  const router = Router();

  router.get('/healthz', allowPublic('liveness probe: says nothing but "ok"'), (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', allowPublic('readiness probe: up or down per dependency, no details'), async (_req, res) => {
    const [mongodb, temporalCheck] = await Promise.all([
      check(db.command({ ping: 1 })),
      check(temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const ready = mongodb.ok && temporalCheck.ok;
    // The reasons go to the log for operators, never to an unauthenticated caller.
    if (!ready) logger.warn({ mongodb: mongodb.error, temporal: temporalCheck.error }, 'not ready');
    res.status(ready ? 200 : 503);
    if (!ready) res.set('Retry-After', '5');
    res.json({
      status: ready ? 'ready' : 'not ready',
      checks: { mongodb: mongodb.ok ? 'ok' : 'unavailable', temporal: temporalCheck.ok ? 'ok' : 'unavailable' },
    });
  });

  return router;
}

/** `GET /metrics` for Prometheus, behind `Authorization: Bearer <METRICS_TOKEN>`. */
export function metricsRouter({ metrics, metricsToken }: Pick<OpsDeps, 'metrics' | 'metricsToken'>): Router {
  const router = Router();
  router.get(
    '/metrics',
    allowPublic('Prometheus scrape: METRICS_TOKEN bearer token or the metrics port'),
    async (req, res) => {
      if (metricsToken !== undefined && !bearerMatches(req, metricsToken))
        throw new HttpError(401, 'metrics need Authorization: Bearer <METRICS_TOKEN>', undefined, {
          'WWW-Authenticate': 'Bearer',
        });
      res.type(metrics.registry.contentType).send(await metrics.render());
    },
  );
  return router;
}

function bearerMatches(req: Request, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function check(probe: Promise<unknown>, ms = 2000): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
