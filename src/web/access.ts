import type { RequestHandler } from 'express';
import { type Role, type Scope, roleGrants, scopeGrants } from '../domain/access';
import type { ApiKeyLocals } from './auth';
import { HttpError } from './errors';

/**
 * Who may use a route. Every route carries one of these as a middleware, and a test walks
 * Express's route table to prove that none is left undeclared.
 */
export type Access =
  | { kind: 'roles'; roles: readonly Role[] }
  | { kind: 'scopes'; scopes: readonly Scope[]; teamKeys?: true }
  | { kind: 'public'; why: string };

export type AccessHandler = RequestHandler & { access: Access };

function declared(access: Access, handler: RequestHandler): AccessHandler {
  return Object.assign(handler, { access });
}

/** An admin page or action for signed-in people with one of these roles (the session is checked before). */
export function allowRoles(...roles: Role[]): AccessHandler {
  return declared({ kind: 'roles', roles }, (_req, res, next) => {
    if (!roleGrants((res.locals.user as { role?: Role } | undefined)?.role, roles))
      return next(new HttpError(403, 'Your role does not allow this page.'));
    next();
  });
}

/**
 * An API route for keys with one of these scopes (`admin` keys may do everything). A key restricted
 * to teams is refused: the route does not limit what it reads or changes to the key's teams.
 */
export function allowScopes(...scopes: Scope[]): AccessHandler {
  return declared({ kind: 'scopes', scopes }, checkScopes(scopes, false));
}

/**
 * An API route that team-restricted keys may use too, because it applies the key's case scope
 * itself (the case routes and the case export) or holds no data (the OpenAPI document).
 */
export function allowTeamKeys(...scopes: Scope[]): AccessHandler {
  return declared({ kind: 'scopes', scopes, teamKeys: true }, checkScopes(scopes, true));
}

function checkScopes(scopes: Scope[], teamKeys: boolean): RequestHandler {
  return (_req, res, next) => {
    const key = res.locals.apiKey as Partial<ApiKeyLocals> | undefined;
    if (!scopeGrants(key?.scopes ?? [], scopes))
      return next(
        new HttpError(403, `this API key lacks the scope for this route (needs one of: ${scopes.join(', ')})`),
      );
    if (key?.teams && !teamKeys)
      return next(
        new HttpError(
          403,
          `this API key is restricted to the teams ${key.teams.join(', ')}: it may only use the case routes (/api/cases, /api/export/cases.csv)`,
        ),
      );
    next();
  };
}

/** A route anyone may call; `why` says what protects it instead (a secret token, nothing to protect…). */
export function allowPublic(why: string): AccessHandler {
  return declared({ kind: 'public', why }, (_req, _res, next) => next());
}

export function isAccessHandler(handler: unknown): handler is AccessHandler {
  return typeof handler === 'function' && 'access' in handler;
}
