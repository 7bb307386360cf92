import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';

/** Requests allowed per window; from the environment (RATE_LIMIT_*). */
export interface RateLimits {
  /** Failed sign-ins per account per 15 minutes (per IP: five times as many). */
  loginPerAccount: number;
  /** API requests per key per minute (a batch of events is one request). */
  apiPerKey: number;
  /** Survey and unsubscribe requests per IP per minute. */
  publicPerIp: number;
}

const MINUTE = 60_000;

function limiter(options: {
  windowMs: number;
  limit: number;
  key: (req: Request) => string;
  message: string;
  onlyFailures?: boolean;
}): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    keyGenerator: options.key,
    skipSuccessfulRequests: options.onlyFailures ?? false,
    // RateLimit-* headers and Retry-After on 429 (IETF draft 8).
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res, _next, opts) => {
      const wantsJson = req.originalUrl.startsWith('/api/') || !req.accepts('html');
      res.status(opts.statusCode);
      if (wantsJson) res.json({ error: options.message });
      else res.type('text/plain').send(options.message);
    },
  });
}

const clientIp = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

/** Sign-in attempts: failures count, per IP and per account, so guessing is slow and one account cannot be locked out from everywhere. */
export function loginLimits(limits: RateLimits): RequestHandler[] {
  const message = 'Too many sign-in attempts. Please wait a few minutes and try again.';
  return [
    limiter({ windowMs: 15 * MINUTE, limit: limits.loginPerAccount * 5, key: clientIp, message, onlyFailures: true }),
    limiter({
      windowMs: 15 * MINUTE,
      limit: limits.loginPerAccount,
      key: (req) =>
        `account:${String((req.body as Record<string, unknown> | undefined)?.email ?? '')
          .trim()
          .toLowerCase()
          .slice(0, 254)}`,
      message,
      onlyFailures: true,
    }),
  ];
}

/** Per API key (after the key was checked, so unknown keys cannot use up a real key's budget). */
export function apiLimit(limits: RateLimits): RequestHandler {
  return limiter({
    windowMs: MINUTE,
    limit: limits.apiPerKey,
    key: (req) => `key:${String(req.res?.locals.apiKey?.id ?? clientIp(req))}`,
    message: 'too many requests for this API key; retry after the time in the Retry-After header',
  });
}

/** The customer-facing survey and unsubscribe pages, per IP. */
export function publicLimit(limits: RateLimits): RequestHandler {
  return limiter({
    windowMs: MINUTE,
    limit: limits.publicPerIp,
    key: clientIp,
    message: 'Too many requests. Please wait a minute and try again.',
  });
}
