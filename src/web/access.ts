import type { RequestHandler } from 'express';
import { type Role, type Scope, roleGrants, scopeGrants } from '../domain/access';
import { HttpError } from './errors';

/**
 * Who may use a route. Every route carries one of these as a middleware, and a test walks
 * Express's route table to prove that none is left undeclared.
 */
export type Access =
  | { kind: 'roles'; roles: readonly Role[] }
  | { kind: 'scopes'; scopes: readonly Scope[] }
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

/** An API route for keys with one of these scopes (`admin` keys may do everything). */
export function allowScopes(...scopes: Scope[]): AccessHandler {
  return declared({ kind: 'scopes', scopes }, (_req, res, next) => {
    const granted = (res.locals.apiKey as { scopes?: Scope[] } | undefined)?.scopes ?? [];
    if (!scopeGrants(granted, scopes))
      return next(
        new HttpError(403, `this API key lacks the scope for this route (needs one of: ${scopes.join(', ')})`),
      );
    next();
  });
}

/** A route anyone may call; `why` says what protects it instead (a secret token, nothing to protect…). */
export function allowPublic(why: string): AccessHandler {
  return declared({ kind: 'public', why }, (_req, _res, next) => next());
}

export function isAccessHandler(handler: unknown): handler is AccessHandler {
  return typeof handler === 'function' && 'access' in handler;
}
