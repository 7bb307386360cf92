import type { Request, RequestHandler } from 'express';
import type { Db } from 'mongodb';
import { apiKeys, users } from '../db/collections';
import { apiKeyPublicId, hashApiKey, isKeyUsable, scopesOf } from '../app/credentials';
import type { Role, Scope } from '../domain/access';
import { HttpError } from './errors';

/** The key a request came with, as routes read it from `res.locals.apiKey`. */
export interface ApiKeyLocals {
  id: string;
  name: string;
  scopes: Scope[];
  /** Present on a key restricted to these routing teams. */
  teams?: string[];
  /** Present on a key restricted to these organisation units. */
  units?: string[];
}

/** How audit records and imports name who acted through the API: the key's name. */
export const apiActor = (key: Pick<ApiKeyLocals, 'name'>): string => `api-key:${key.name}`;

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
      ...(key.units ? { units: key.units } : {}),
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
  /** The organisation units assigned; absent for people recorded before units existed. */
  units?: string[];
  /** The ID events name them by (`data.agent`), for their own feedback page. */
  frontlineId?: string;
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
    res.locals.user = {
      id: user._id,
      email: user.email,
      name: user.name,
      role: user.role,
      ...(user.units ? { units: user.units } : {}),
      ...(user.frontlineId ? { frontlineId: user.frontlineId } : {}),
    } satisfies SignedInUser;
    next();
  };
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}
