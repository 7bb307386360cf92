import { createHash } from 'node:crypto';
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { MongoClient } from 'mongodb';

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

/** Synchronizer-token CSRF protection: each session's token goes into every form as `_csrf`. */
export const csrf = csrfSync({
  getTokenFromRequest: (req) => {
    const fromForm = (req.body as Record<string, unknown> | undefined)?._csrf;
    return typeof fromForm === 'string' ? fromForm : req.get('x-csrf-token');
  },
  errorConfig: { statusCode: 403, message: 'This form has expired. Please go back, reload the page and try again.' },
});
