import type { Request, RequestHandler } from 'express';
import { type ClientRateLimitInfo, type Options, type Store, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Db } from 'mongodb';
import { type IRateLimiterMongoFunctionOptions, RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { RATE_LIMITS } from '../db/collections';
import { isDuplicateKeyError } from '../db/insert-once';

/** Requests allowed per window; from the environment (RATE_LIMIT_*). */
export interface RateLimits {
  /** Failed sign-ins per account and source before each further attempt waits (per source: five times as many in 15 minutes). */
  loginPerAccount: number;
  /** API requests per key per minute (a batch of events is one request). */
  apiPerKey: number;
  /** Survey and unsubscribe requests per IP per minute. */
  publicPerIp: number;
}

const MINUTE = 60_000;

/** Where the limiters count, and how much they allow. */
export interface LimitDeps {
  db: Db;
  limits: RateLimits;
  /** Prefixes every counter's name (test deployments share one database); unset in production. */
  scope?: string;
}

const counterName = (deps: LimitDeps, name: string) => (deps.scope ? `${deps.scope}:${name}` : name);

/**
 * A MongoDB limiter of rate-limiter-flexible, shared by every web process: sign-in throttling
 * only, off the hot path (it finds a counter by `key`, which FerretDB v1 answers by reading the
 * whole collection; the per-request limits use SharedStore, by `_id`). Its expiry is the
 * window stored in each counter (an expired one is replaced at its next use), so it works on
 * FerretDB, which has no TTL indexes. Its own index creation asks for a TTL index, so it is off:
 * the `indexes` migration makes the unique index it needs and the worker's sweep removes expired counters.
 */
function mongoLimiter(db: Db, keyPrefix: string, durationSeconds: number): RateLimiterMongo {
  return new RateLimiterMongo({
    storeClient: db,
    tableName: RATE_LIMITS,
    keyPrefix,
    // What `consume` allows per window (the sign-in gate's one attempt); the failures only add up.
    points: 1,
    duration: durationSeconds,
    disableIndexesCreation: true,
  });
}

/** One window's counter of the shared store: `_id` and `key` are `<limiter>:<key>`. */
interface WindowCounter {
  _id: string;
  key: string;
  points: number;
  expire: Date;
}

/**
 * express-rate-limit's store over MongoDB, so all web processes count together. Each counter is
 * read and written by `_id` alone, the one filter FerretDB v1 answers from an index (any other
 * field makes it read the whole collection): one conditional write per request. A window starts
 * at its key's first request; a counter found expired starts the next window (two requests meeting
 * at that moment may count as one). The worker's sweep removes expired counters.
 */
export class SharedStore implements Store {
  private windowMs = MINUTE;
  readonly localKeys = false;

  constructor(
    private readonly db: Db,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private get counters() {
    return this.db.collection<WindowCounter>(RATE_LIMITS);
  }

  private id(key: string): string {
    return `${this.prefix}:${key}`;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const counter = await this.counters.findOne({ _id: this.id(key) });
    return counter && counter.expire > new Date() ? windowInfo(counter) : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const _id = this.id(key);
    const now = new Date();
    const expire = new Date(now.getTime() + this.windowMs);
    const counter = await this.count(_id, expire);
    if (counter && counter.expire > now) return windowInfo(counter);
    await this.counters.updateOne({ _id }, { $set: { points: 1, expire } });
    return { totalHits: 1, resetTime: expire };
  }

  /**
   * One more hit of the window. A duplicate key is first another request's upsert of the same new
   * window (FerretDB does not serialise upserts): the retry counts into it, by `_id` alone. Only a
   * second one is the counter an earlier release kept (by `key`), removed once with a scan.
   */
  private async count(_id: string, expire: Date): Promise<WindowCounter | null> {
    const hit = () =>
      this.counters.findOneAndUpdate(
        { _id },
        { $inc: { points: 1 }, $setOnInsert: { key: _id, expire } },
        { upsert: true, returnDocument: 'after' },
      );
    for (let attempt = 1; ; attempt++) {
      try {
        return await hit();
      } catch (err) {
        if (!isDuplicateKeyError(err) || attempt === 3) throw err;
        if (attempt === 2) await this.counters.deleteOne({ key: _id, _id: { $ne: _id } });
      }
    }
  }

  async decrement(key: string): Promise<void> {
    await this.counters.updateOne({ _id: this.id(key) }, { $inc: { points: -1 } });
  }

  async resetKey(key: string): Promise<void> {
    await this.counters.deleteOne({ _id: this.id(key) });
  }
}

const windowInfo = (counter: WindowCounter): ClientRateLimitInfo => ({
  totalHits: counter.points,
  resetTime: counter.expire,
});

function limiter(options: {
  deps: LimitDeps;
  name: string;
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
    store: new SharedStore(options.deps.db, counterName(options.deps, options.name)),
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

/** The client's address as `trust proxy` (TRUST_PROXY) resolves it; IPv6 by /56, as one subscriber gets. */
export const clientIp = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

export const LOGIN_THROTTLED = 'Too many sign-in attempts. Please wait a few minutes and try again.';

/**
 * Failed sign-ins per source, over all accounts: five times the per-pair allowance in 15 minutes.
 * A cap on one source guessing many accounts; it never slows the real user at another source.
 */
export function loginSourceLimit(deps: LimitDeps): RequestHandler {
  return limiter({
    deps,
    name: 'login-source',
    windowMs: 15 * MINUTE,
    limit: deps.limits.loginPerAccount * 5,
    key: clientIp,
    message: LOGIN_THROTTLED,
    onlyFailures: true,
  });
}

/** Per API key (after the key was checked, so unknown keys cannot use up a real key's budget). */
export function apiLimit(deps: LimitDeps): RequestHandler {
  return limiter({
    deps,
    name: 'api-key',
    windowMs: MINUTE,
    limit: deps.limits.apiPerKey,
    key: (req) => `key:${String(req.res?.locals.apiKey?.id ?? clientIp(req))}`,
    message: 'too many requests for this API key; retry after the time in the Retry-After header',
  });
}

/** The customer-facing survey and unsubscribe pages, per IP. */
export function publicLimit(deps: LimitDeps): RequestHandler {
  return limiter({
    deps,
    name: 'public-ip',
    windowMs: MINUTE,
    limit: deps.limits.publicPerIp,
    key: clientIp,
    message: 'Too many requests. Please wait a minute and try again.',
  });
}

/** The longest a sign-in ever waits, however many failures came before. */
export const MAX_LOGIN_DELAY_SECONDS = 15 * 60;
/** Failures are counted for a day after the first; a quiet day starts the pair afresh. */
const FAILURE_WINDOW_SECONDS = 24 * 3600;

/**
 * Sign-in throttling per (account, source), as OWASP's Authentication Cheat Sheet advises: after
 * `free` failures each further attempt from that source for that account must wait 2, 4, 8 …
 * seconds (at most 15 minutes) after the one before. The account's owner at another source is not
 * slowed down by an attacker's failures, and a successful sign-in clears the pair.
 */
export class LoginThrottle {
  private readonly failures: RateLimiterMongo;
  /** One attempt per window; the window grows with the failures so far. */
  private readonly gate: RateLimiterMongo;
  private readonly free: number;

  constructor(deps: LimitDeps) {
    this.free = deps.limits.loginPerAccount;
    this.failures = mongoLimiter(deps.db, counterName(deps, 'login-failures'), FAILURE_WINDOW_SECONDS);
    this.gate = mongoLimiter(deps.db, counterName(deps, 'login-gate'), 1);
  }

  /**
   * Takes this pair's turn: 0 when the attempt may go ahead, else the seconds to wait. The gate is
   * an atomic counter, so concurrent attempts cannot all slip through one opening.
   */
  async attempt(account: string, req: Request): Promise<number> {
    const pair = pairKey(account, req);
    const failed = (await this.failures.get(pair))?.consumedPoints ?? 0;
    if (failed < this.free) return 0;
    const window = Math.min(2 ** (failed - this.free + 1), MAX_LOGIN_DELAY_SECONDS);
    try {
      await this.gate.consume(pair, 1, windowOf(window));
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw err;
    }
  }

  async failed(account: string, req: Request): Promise<void> {
    await this.failures.penalty(pairKey(account, req), 1);
  }

  async succeeded(account: string, req: Request): Promise<void> {
    const pair = pairKey(account, req);
    await Promise.all([this.failures.delete(pair), this.gate.delete(pair)]);
  }
}

/** `customDuration` is documented for `consume` and honoured by the Mongo store; its typings omit it. */
const windowOf = (seconds: number) => ({ customDuration: seconds }) as unknown as IRateLimiterMongoFunctionOptions;

const pairKey = (account: string, req: Request) => `${account}|${clientIp(req)}`;
