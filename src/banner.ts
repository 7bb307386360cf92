import type { Config } from './config';

export interface BannerFacts {
  publicBaseUrl: string;
  adminEmail: string;
  adminPassword: string;
  apiKey: string;
  /** What the user set in the environment: those values are never printed. */
  bootstrap: Partial<Config['bootstrap']>;
  outbox: boolean;
  smtpUrl?: string;
  temporalUiUrl?: string;
  temporalAddress: string;
  /** The demo's case owners and managers, with their generated passwords. */
  people?: { email: string; name: string; password: string }[];
}

/** What `npm start` prints: where to go, and only the credentials it generated itself. */
export function startupBanner(f: BannerFacts): string {
  const password = f.bootstrap.adminPassword ? '(your CXLOOP_ADMIN_PASSWORD)' : f.adminPassword;
  const key = f.bootstrap.apiKey ? '(your CXLOOP_API_KEY)' : f.apiKey;
  const curlKey = f.bootstrap.apiKey ? '$CXLOOP_API_KEY' : f.apiKey;
  // An SMTP URL may carry credentials: show only the relay's host.
  const mail = f.outbox
    ? `${f.publicBaseUrl}/admin/outbox`
    : `(mail goes to ${f.smtpUrl ? new URL(f.smtpUrl).host : '?'})`;
  return `
cxloop is running
  Admin UI          ${f.publicBaseUrl}/admin   (sign in as ${f.adminEmail} / ${password})
${(f.people ?? []).map((p) => `  ${p.name.padEnd(18)}${p.email} / ${p.password}\n`).join('')}  Outbox            ${mail}
  Temporal Web UI   ${f.temporalUiUrl ?? `(external Temporal at ${f.temporalAddress})`}
  API key           ${key}
  Send an event     curl -X POST ${f.publicBaseUrl}/api/events -H "Authorization: Bearer ${curlKey}" -H 'Content-Type: application/json' \\
                      -d '{"id":"order-'$RANDOM'","type":"purchase","occurredAt":"'$(date -u +%FT%TZ)'","customer":{"id":"cust-ada","email":"ada@example.com"},"data":{"store":"berlin"}}'
  Cases             ${f.publicBaseUrl}/admin/cases   (after the first start, a demo detractor's case opens within about a minute)
Press Ctrl+C to stop.`;
}
