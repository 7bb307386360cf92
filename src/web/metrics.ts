import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The web tier's Prometheus metrics, on a registry of its own (tests run several apps in one
 * process). Route labels are Express route patterns, never raw URLs, so tokens stay out and
 * cardinality stays bounded.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'cxloop_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'cxloop_events_total',
    help: 'Events received by status (accepted, duplicate, erased)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly replies = new Counter({
    name: 'cxloop_replies_total',
    help: 'Survey replies stored by outcome (created, edited, closed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'cxloop_' });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
