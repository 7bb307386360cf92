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

/**
 * Liveness and readiness for orchestrators: nothing secret, nothing internal in the answers. Ready
 * means MongoDB answers: survey pages and event intake work without Temporal (the sweep hands
 * their replies and events over later), so a Temporal outage only shows as `degraded`.
 */
export function healthRouter({ db, temporal, logger }: Pick<OpsDeps, 'db' | 'temporal' | 'logger'>): Router {
  const router = Router();
  const logChange = changeLogger(logger);

  router.get('/healthz', allowPublic('liveness probe: says nothing but "ok"'), (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', allowPublic('readiness probe: up or down per dependency, no details'), async (_req, res) => {
    const [mongodb, temporalCheck] = await Promise.all([
      check(db.command({ ping: 1 })),
      // A deadline on the call itself, so a probe leaves no gRPC retries running behind it.
      check(
        temporal.connection.withDeadline(Date.now() + CHECK_MS, () =>
          temporal.connection.workflowService.getSystemInfo({}),
        ),
      ),
    ]);
    // The reasons go to the log for operators, never to an unauthenticated caller.
    logChange('mongodb', mongodb);
    logChange('temporal', temporalCheck);
    const ready = mongodb.ok;
    res.status(ready ? 200 : 503);
    if (!ready) res.set('Retry-After', '5');
    res.json({
      status: ready ? 'ready' : 'not ready',
      checks: { mongodb: mongodb.ok ? 'ok' : 'unavailable', temporal: temporalCheck.ok ? 'ok' : 'degraded' },
    });
  });

  return router;
}

type CheckResult = { ok: boolean; error?: string };

/**
 * Logs a dependency going down (with the reason) and coming back, once each: probes every few
 * seconds during an outage would otherwise repeat the same line for its whole length.
 */
function changeLogger(logger: Logger) {
  const down = new Set<string>();
  return (dependency: string, result: CheckResult) => {
    if (!result.ok && !down.has(dependency)) {
      down.add(dependency);
      logger.warn({ dependency, reason: result.error }, `${dependency} unreachable`);
    } else if (result.ok && down.delete(dependency)) {
      logger.info({ dependency }, `${dependency} reachable again`);
    }
  };
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

/** How long a readiness probe waits for each dependency. */
const CHECK_MS = 2000;

async function check(probe: Promise<unknown>, ms = CHECK_MS): Promise<CheckResult> {
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
