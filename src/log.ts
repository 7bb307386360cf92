import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level: string;
  /** Human-readable lines (`npm start`); JSON otherwise, for log shippers. */
  pretty?: boolean;
}

/** Anything that could let a reader act as someone else is removed from every log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.apiKey',
];

export function createLogger({ level, pretty }: LogOptions): Logger {
  return pino({
    level,
    base: { app: 'cxloop' },
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname,app' } } }
      : {}),
  });
}

/**
 * Survey, unsubscribe and digest links carry a secret token: logs keep only its first characters, enough to
 * tell two requests apart, not enough to answer a survey.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/\/([su])\/(digest\/)?([A-Za-z0-9_-]{6})[^/?#]*/g, '/$1/$2$3…')
    .replace(/([?&]_csrf=)[^&]*/g, '$1…');
}
