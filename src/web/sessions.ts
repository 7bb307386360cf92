import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { MongoClient } from 'mongodb';
import { HttpError } from './errors';

export const SESSION_TTL_MS = 12 * 3_600_000;

export interface SessionOptions {
  client: MongoClient;
  dbName: string;
  secret: string;
  /** The public base URL is https: the cookie is `Secure` and `__Host-` prefixed. */
  secure: boolean;
}

/** The session cookie's name: `__Host-` binds it to this exact origin over https. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-cxloop' : 'cxloop.sid');

/**
 * Server-side admin sessions in MongoDB, so signing out, a password change or a disabled account
 * end them at once and every web replica sees the same ones. They are refused as soon as they
 * expire; FerretDB has no TTL indexes, so the worker's sweep removes them once per cluster
 * (activities/sweeps.ts says why not connect-mongo's own timer).
 */
export function sessionMiddleware({ client, dbName, secret, secure }: SessionOptions): RequestHandler {
  const store = MongoStore.create({
    client,
    dbName,
    collectionName: 'sessions',
    ttl: SESSION_TTL_MS / 1000,
    autoRemove: 'disabled',
    // Stored as documents so a user's sessions can be found; IDs hashed so a database dump holds none.
    stringify: false,
    transformId: (sid) => createHash('sha256').update(sid).digest('base64url'),
  });
  return session({
    name: sessionCookieName(secure),
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    unset: 'destroy',
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_TTL_MS },
  });
}

const CSRF_MESSAGE = 'This form has expired. Please go back, reload the page and try again.';

/** Synchronizer-token CSRF protection of signed-in forms: each session's token goes into every form as `_csrf`. */
export const csrf = csrfSync({
  getTokenFromRequest: (req) => {
    const fromForm = (req.body as Record<string, unknown> | undefined)?._csrf;
    return typeof fromForm === 'string' ? fromForm : req.get('x-csrf-token');
  },
  errorConfig: { statusCode: 403, message: CSRF_MESSAGE },
});

/** How long a sign-in form stays usable. */
const LOGIN_FORM_TTL_MS = 2 * 3_600_000;
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The sign-in form's CSRF protection without a stored session (OWASP's signed double-submit
 * cookie): the page sets a random pre-session nonce in an HttpOnly cookie and puts its HMAC under
 * the session secret in the form; the POST must bring both. A forged cross-site form has neither,
 * and nothing is stored for anonymous visitors, so the sign-in page cannot fill the session store.
 */
export class LoginCsrf {
  readonly cookieName: string;

  constructor(
    private readonly secret: string,
    private readonly secure: boolean,
  ) {
    // `__Host-` over https: no subdomain or plain-http page can plant its own nonce.
    this.cookieName = secure ? '__Host-cxloop-login' : 'cxloop.login';
  }

  /** The form's token; keeps a valid nonce (several open tabs stay usable), else sets a new one. */
  issue(req: Request, res: Response): string {
    let nonce = this.nonceOf(req);
    if (!nonce) {
      nonce = randomBytes(32).toString('base64url');
      res.cookie(this.cookieName, nonce, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
        path: '/',
        maxAge: LOGIN_FORM_TTL_MS,
      });
    }
    return this.tokenFor(nonce);
  }

  /** 403 unless the form's token is the HMAC of the request's nonce cookie. */
  readonly protect: RequestHandler = (req, _res, next) => {
    const nonce = this.nonceOf(req);
    const given = (req.body as Record<string, unknown> | undefined)?._csrf;
    const ok = nonce !== undefined && typeof given === 'string' && sameText(given, this.tokenFor(nonce));
    next(ok ? undefined : new HttpError(403, CSRF_MESSAGE));
  };

  /** After sign-in the session's own token takes over. */
  clear(res: Response): void {
    res.clearCookie(this.cookieName, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/' });
  }

  private tokenFor(nonce: string): string {
    return createHmac('sha256', this.secret).update(`cxloop login form\0${nonce}`).digest('base64url');
  }

  private nonceOf(req: Request): string | undefined {
    const value = cookieValue(req.headers.cookie, this.cookieName);
    return value && NONCE.test(value) ? value : undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One cookie's raw value from a Cookie header (the nonce is base64url: nothing to decode). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
