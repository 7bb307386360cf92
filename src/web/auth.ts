import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { RequestHandler } from 'express';
import type { Db } from 'mongodb';
import { apiKeys, users } from '../db/collections';
import { HttpError } from './errors';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32);
  return `scrypt:${salt.toString('base64')}:${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function newApiKey(): string {
  return `cx_${randomBytes(24).toString('base64url')}`;
}

/** `Authorization: Bearer <api key>` on every /api route. */
export function requireApiKey(db: Db): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) return next(new HttpError(401, 'missing API key: send Authorization: Bearer <api key>'));
    const key = await apiKeys(db).findOne({ _id: hashApiKey(match[1]!) });
    if (!key) return next(new HttpError(401, 'unknown API key'));
    res.locals.apiKey = key.name;
    next();
  };
}

const SESSION_COOKIE = 'cxloop_session';
const SESSION_TTL_MS = 12 * 3_600_000;

export interface Sessions {
  issue(email: string): string;
  read(cookieHeader: string | undefined): string | undefined;
  cookieName: string;
  ttlMs: number;
}

/** Stateless signed session cookies: `email|expiry|hmac`. */
export function createSessions(secret: string): Sessions {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return {
    cookieName: SESSION_COOKIE,
    ttlMs: SESSION_TTL_MS,
    issue(email) {
      const payload = `${Buffer.from(email).toString('base64url')}|${Date.now() + SESSION_TTL_MS}`;
      return `${payload}|${sign(payload)}`;
    },
    read(cookieHeader) {
      const raw = cookieHeader
        ?.split(';')
        .map((c) => c.trim())
        .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
        ?.slice(SESSION_COOKIE.length + 1);
      if (!raw) return undefined;
      const [email, expiry, signature] = decodeURIComponent(raw).split('|');
      if (!email || !expiry || !signature) return undefined;
      const expected = sign(`${email}|${expiry}`);
      if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected)))
        return undefined;
      if (Number(expiry) < Date.now()) return undefined;
      return Buffer.from(email, 'base64url').toString();
    },
  };
}

/** Admin pages: a signed-in user, or a redirect to the login page. */
export function requireUser(db: Db, sessions: Sessions): RequestHandler {
  return async (req, res, next) => {
    const email = sessions.read(req.get('cookie'));
    const user = email ? await users(db).findOne({ _id: email }) : null;
    if (!user) return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
    res.locals.user = { email: user.email, name: user.name, role: user.role };
    next();
  };
}
