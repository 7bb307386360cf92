import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import type { Request, RequestHandler } from 'express';
import type { Db } from 'mongodb';
import { type ApiKeyDoc, apiKeys, sessions, users } from '../db/collections';
import type { Role, Scope } from '../domain/access';
import { HttpError } from './errors';

/** OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 lane. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** Verifies Argon2id hashes, and the scrypt ones earlier versions stored (rehashed at the next sign-in). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) return argon2.verify(stored, password).catch(() => false);
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2') || argon2.needsRehash(stored, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;
/**
 * Checks a password against a user that may not exist, taking the same time either way, so the
 * response time does not tell which emails have accounts.
 */
export async function verifyLogin(password: string, storedHash: string | undefined): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  const ok = await verifyPassword(password, storedHash ?? (await dummyHash));
  return ok && storedHash !== undefined;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Keys are listed and revoked by the first 16 hex digits of their hash: the key itself is never stored. */
export const apiKeyPublicId = (hash: string) => hash.slice(0, 16);

export function newApiKey(): string {
  return `cx_${randomBytes(24).toString('base64url')}`;
}

/** Keys made before scopes existed were the bootstrap's admin keys. */
export const scopesOf = (key: Pick<ApiKeyDoc, 'scopes'>): Scope[] => key.scopes ?? ['admin'];

export function isKeyUsable(key: ApiKeyDoc, now = new Date()): boolean {
  return !key.revokedAt && (!key.expiresAt || key.expiresAt > now);
}

/** The key a request came with, as routes read it from `res.locals.apiKey`. */
export interface ApiKeyLocals {
  id: string;
  name: string;
  scopes: Scope[];
  /** Present on a key restricted to these routing teams. */
  teams?: string[];
}

/** `Authorization: Bearer <api key>` on every /api route, checked before any body is read. */
export function requireApiKey(db: Db): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S{1,200})$/i.exec(req.get('authorization') ?? '');
    if (!match) return next(new HttpError(401, 'missing API key: send Authorization: Bearer <api key>'));
    const key = await apiKeys(db).findOne({ _id: hashApiKey(match[1]!) });
    if (!key || !isKeyUsable(key)) return next(new HttpError(401, 'unknown, revoked or expired API key'));
    res.locals.apiKey = {
      id: apiKeyPublicId(key._id),
      name: key.name,
      scopes: scopesOf(key),
      ...(key.teams ? { teams: key.teams } : {}),
    } satisfies ApiKeyLocals;
    next();
  };
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** The user's authVersion at sign-in: a password change or a disabled account ends the session. */
    authVersion?: number;
  }
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** Admin pages: a signed-in, enabled user whose credentials have not changed since, or the login page. */
export function requireUser(db: Db): RequestHandler {
  return async (req, res, next) => {
    const user = req.session?.userId ? await users(db).findOne({ _id: req.session.userId }) : null;
    if (!user || user.disabled || (user.authVersion ?? 0) !== req.session.authVersion) {
      if (req.session?.userId) await destroySession(req);
      if (req.method !== 'GET') return next(new HttpError(401, 'Please sign in again.'));
      return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    res.locals.user = { id: user._id, email: user.email, name: user.name, role: user.role } satisfies SignedInUser;
    next();
  };
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}

/** Ends every session of a user at once (after a password change or when the account is disabled). */
export async function endSessionsOf(db: Db, userId: string): Promise<void> {
  await sessions(db).deleteMany({ 'session.userId': userId });
}
