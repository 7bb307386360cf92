/** A few Prometheus counters, rendered in the text exposition format. */
export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();

  constructor() {
    this.define('cxloop_http_requests_total', 'HTTP requests by method, route and status class');
    this.define('cxloop_events_total', 'Events received by status (accepted, duplicate)');
    this.define('cxloop_replies_total', 'Survey replies stored by outcome (created, edited, closed)');
  }

  private define(name: string, help: string) {
    this.counters.set(name, { help, values: new Map() });
  }

  inc(name: string, labels: Record<string, string>, by = 1): void {
    const counter = this.counters.get(name);
    if (!counter) throw new Error(`unknown metric ${name}`);
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, values }] of this.counters) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, value] of values) lines.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
