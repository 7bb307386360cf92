import type { Db } from 'mongodb';
import { z } from 'zod';
import * as c from '../db/collections';
import { audit } from '../db/audit';
import { rebuildFrontlineIndex } from '../db/frontline-index';
import { isDuplicateKeyError } from '../db/insert-once';
import { ROLES, SCOPES } from '../domain/access';
import { MAX_AGENT_ID, agentOf } from '../domain/rollup';
import { MAX_ROUTING_TEAMS, ZTeam } from '../domain/routing';
import { loadRouting } from '../db/routing';
import { MAX_UNITS, ZUnitId } from '../domain/units';
import { loadUnitTree } from '../db/units';
import { ensureUnitsExist } from './units';
import {
  apiKeyPublicId,
  endSessionsOf,
  hashApiKey,
  hashPassword,
  newApiKey,
  scopesOf,
  needsRehash,
  verifyLogin,
  verifyPassword,
} from './credentials';
import { AppError } from './errors';

/** OWASP: at least 12 characters when there is no other composition rule; long passphrases welcome. */
export const ZPassword = z.string().min(12, 'at least 12 characters').max(200, 'at most 200 characters');

export const ZUserInput = z
  .object({
    email: z.email('a valid email address').max(254).toLowerCase(),
    name: z.string().trim().min(1, 'a name').max(200),
    role: z.enum(ROLES, 'one of admin, operations, case_owner, viewer, frontline'),
    password: ZPassword,
    /** The organisation units the person works in; left out: the root (the whole organisation). */
    units: z.array(ZUnitId).max(MAX_UNITS).optional(),
  })
  .strict();

/** A person's units: empty sees no customers (unless they manage a unit); admins and operations see all. */
const ZPersonUnits = z.array(ZUnitId).max(MAX_UNITS);

/** The ID events name the person by (`data.agent`), as the rollups keep it; empty: none. */
const ZFrontlineId = z
  .string()
  .trim()
  .max(MAX_AGENT_ID, `at most ${MAX_AGENT_ID} characters`)
  .refine((id) => id === '' || agentOf({ agent: id }) === id, 'an ID without dots, not starting with $');

export const ZUserChange = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('role'),
    role: z.enum(ROLES, 'one of admin, operations, case_owner, viewer, frontline'),
  }),
  z.object({ action: z.literal('disable') }),
  z.object({ action: z.literal('enable') }),
  z.object({ action: z.literal('password'), password: ZPassword }),
  z.object({ action: z.literal('units'), units: ZPersonUnits }),
  z.object({ action: z.literal('frontline'), frontlineId: ZFrontlineId }),
]);

/** A user as the API and the users page show them: never the password hash or the session version. */
const USER_VIEW = { passwordHash: 0, authVersion: 0 } as const;
export type UserView = Omit<c.UserDoc, 'passwordHash' | 'authVersion'>;

/** Users in email order. */
export function listUsers(db: Db, page: { limit: number; skip: number }): Promise<UserView[]> {
  return c.users(db).find({}, { projection: USER_VIEW }).sort({ _id: 1 }).skip(page.skip).limit(page.limit).toArray();
}

export function findUser(db: Db, userId: string): Promise<UserView | null> {
  return c.users(db).findOne({ _id: userId }, { projection: USER_VIEW });
}

/** Creates an account and answers it as the API shows it. */
export async function createUser(db: Db, input: z.infer<typeof ZUserInput>, actor: string): Promise<UserView | null> {
  // Left out: the root, the whole organisation (what everyone saw before units).
  const units = input.units ? [...new Set(input.units)] : [(await loadUnitTree(db)).units.find((u) => !u.parentId)!.id];
  if (input.units) await ensureUnitsExist(db, 'units', units);
  try {
    await c.users(db).insertOne({
      _id: input.email,
      email: input.email,
      name: input.name,
      role: input.role,
      units,
      passwordHash: await hashPassword(input.password),
      authVersion: 0,
      createdAt: new Date(),
    });
  } catch (err) {
    if (isDuplicateKeyError(err)) throw new AppError('conflict', `a user with the email ${input.email} already exists`);
    throw err;
  }
  await audit(db, {
    actor,
    action: 'user.create',
    subject: `user ${input.email}`,
    after: { name: input.name, role: input.role, units },
  });
  return findUser(db, input.email);
}

/**
 * An admin's change to another account, answered with the account; disabling or a new password
 * ends that user's sessions at once.
 */
export async function changeUser(
  db: Db,
  actorId: string,
  userId: string,
  change: z.infer<typeof ZUserChange>,
): Promise<UserView | null> {
  const user = await c.users(db).findOne({ _id: userId });
  if (!user) throw new AppError('not-found', `no user ${userId}`);
  if (userId === actorId && change.action !== 'password')
    throw new AppError('conflict', 'you cannot change your own role, units or disable yourself; ask another admin');
  if (change.action === 'units') await ensureUnitsExist(db, 'units', change.units);
  if (change.action === 'frontline') await ensureFrontlineIdFree(db, userId, change.frontlineId);
  const now = new Date();
  const update =
    change.action === 'role'
      ? { $set: { role: change.role, updatedAt: now } }
      : change.action === 'units'
        ? { $set: { units: [...new Set(change.units)], updatedAt: now } }
        : change.action === 'frontline'
          ? change.frontlineId
            ? { $set: { frontlineId: change.frontlineId, updatedAt: now } }
            : { $set: { updatedAt: now }, $unset: { frontlineId: '' as const } }
          : change.action === 'password'
            ? { $set: { passwordHash: await hashPassword(change.password), updatedAt: now }, $inc: { authVersion: 1 } }
            : { $set: { disabled: change.action === 'disable', updatedAt: now }, $inc: { authVersion: 1 } };
  await c.users(db).updateOne({ _id: userId }, update);
  // Praise reads the frontline people from an index (a new account has no frontline ID yet).
  if (change.action !== 'password') await rebuildFrontlineIndex(db);
  if (change.action === 'disable' || change.action === 'enable' || change.action === 'password')
    await endSessionsOf(db, userId);
  await audit(db, {
    actor: actorId,
    action: `user.${change.action}`,
    subject: `user ${userId}`,
    ...(change.action === 'role' ? { before: { role: user.role }, after: { role: change.role } } : {}),
    // Absent: recorded before units, at the root.
    ...(change.action === 'units' ? { before: { units: user.units ?? null }, after: { units: change.units } } : {}),
    ...(change.action === 'frontline'
      ? { before: { frontlineId: user.frontlineId ?? null }, after: { frontlineId: change.frontlineId || null } }
      : {}),
    ...(change.action === 'disable' || change.action === 'enable'
      ? { before: { disabled: !!user.disabled }, after: { disabled: change.action === 'disable' } }
      : {}),
  });
  return findUser(db, userId);
}

/** One person per frontline ID: their page shows that ID's replies. Users are few: one pass. */
async function ensureFrontlineIdFree(db: Db, userId: string, frontlineId: string): Promise<void> {
  if (!frontlineId) return;
  const holder = await c.users(db).findOne({ frontlineId, _id: { $ne: userId } }, { projection: { _id: 1 } });
  if (holder) throw new AppError('conflict', `the frontline ID ${frontlineId} is already ${holder._id}'s`);
}

/** A user's own password change: needs the current password; every session of the user ends. */
export async function changeOwnPassword(db: Db, userId: string, current: string, next: string): Promise<number> {
  const user = await c.users(db).findOne({ _id: userId });
  if (!user || !(await verifyPassword(current, user.passwordHash)))
    throw new AppError('invalid', 'the current password is not right');
  const updated = await c
    .users(db)
    .findOneAndUpdate(
      { _id: userId },
      { $set: { passwordHash: await hashPassword(next), updatedAt: new Date() }, $inc: { authVersion: 1 } },
      { returnDocument: 'after' },
    );
  await endSessionsOf(db, userId);
  return updated?.authVersion ?? 0;
}

export const ZApiKeyInput = z
  .object({
    name: z.string().trim().min(1, 'a name').max(100),
    scopes: z.array(z.enum(SCOPES)).min(1, 'at least one scope').max(SCOPES.length),
    /** Restricts the key to these routing teams' cases; absent: organisation-wide. */
    teams: z.array(ZTeam.shape.id).min(1, 'at least one team, or leave teams out').max(MAX_ROUTING_TEAMS).optional(),
    /** Restricts the key to these organisation units' customers and insight; absent: every unit. */
    units: z.array(ZUnitId).min(1, 'at least one unit, or leave units out').max(MAX_UNITS).optional(),
    expiresAt: z.iso
      .datetime({ offset: true, message: 'an ISO 8601 date-time' })
      .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
      .optional(),
  })
  .strict();

/** A key may only be restricted to teams the routing has: a typo must not make an empty scope. */
async function ensureRoutingTeams(db: Db, teams: readonly string[]): Promise<void> {
  const known = new Set((await loadRouting(db))?.teams.map((team) => team.id));
  const unknown = teams.filter((team) => !known.has(team));
  if (unknown.length)
    throw new AppError(
      'invalid',
      `teams: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a team' : 'are not teams'} of the routing`,
      {
        teams: unknown,
      },
    );
}

/** Creates a key; the key itself is returned once and never stored. */
export async function createApiKey(db: Db, input: z.infer<typeof ZApiKeyInput>, createdBy: string) {
  if (input.teams) await ensureRoutingTeams(db, input.teams);
  if (input.units) await ensureUnitsExist(db, 'units', input.units);
  const key = newApiKey();
  const doc: c.ApiKeyDoc = {
    _id: hashApiKey(key),
    name: input.name,
    prefix: key.slice(0, 6),
    scopes: [...new Set(input.scopes)],
    ...(input.teams ? { teams: [...new Set(input.teams)] } : {}),
    ...(input.units ? { units: [...new Set(input.units)] } : {}),
    ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt) } : {}),
    createdBy,
    createdAt: new Date(),
  };
  await c.apiKeys(db).insertOne(doc);
  const described = describeApiKey(doc);
  await audit(db, {
    actor: createdBy,
    action: 'apikey.create',
    subject: `API key ${described.id}`,
    after: {
      name: doc.name,
      scopes: described.scopes,
      teams: described.teams,
      units: described.units,
      expiresAt: described.expiresAt,
    },
  });
  return { key, ...described };
}

export function describeApiKey(doc: c.ApiKeyDoc) {
  return {
    id: apiKeyPublicId(doc._id),
    name: doc.name,
    prefix: doc.prefix,
    scopes: scopesOf(doc),
    /** null: every team's cases (an organisation-wide key). */
    teams: doc.teams ?? null,
    /** null: every unit's customers. */
    units: doc.units ?? null,
    expiresAt: doc.expiresAt ?? null,
    revokedAt: doc.revokedAt ?? null,
    createdBy: doc.createdBy ?? null,
    createdAt: doc.createdAt,
  };
}

export async function listApiKeys(db: Db, page: { limit: number; skip: number }) {
  const docs = await c.apiKeys(db).find().sort({ createdAt: -1 }).skip(page.skip).limit(page.limit).toArray();
  return docs.map(describeApiKey);
}

/** Revokes by public ID (the first 16 hex digits of the key's hash): effective for the next request. */
export async function revokeApiKey(db: Db, publicId: string, actor: string): Promise<void> {
  if (!/^[0-9a-f]{16}$/.test(publicId)) throw new AppError('invalid', 'an API key ID is 16 hexadecimal digits');
  const result = await c
    .apiKeys(db)
    .updateOne(
      { _id: { $gte: publicId, $lt: `${publicId}g` }, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
  if (!result.matchedCount) {
    const exists = await c.apiKeys(db).countDocuments({ _id: { $gte: publicId, $lt: `${publicId}g` } });
    if (!exists) throw new AppError('not-found', `no API key ${publicId}`);
    return;
  }
  await audit(db, { actor, action: 'apikey.revoke', subject: `API key ${publicId}` });
}

/**
 * The enabled user these credentials sign in, or null. Unknown, disabled and known accounts take
 * the same path: one lookup, one hash check. A hash of an older scheme is replaced on the way.
 */
export async function authenticate(db: Db, email: string, password: string): Promise<c.UserDoc | null> {
  const user = email ? await c.users(db).findOne({ _id: email }) : null;
  const valid = await verifyLogin(password, user?.passwordHash);
  if (!user || !valid || user.disabled) return null;
  if (needsRehash(user.passwordHash))
    await c.users(db).updateOne({ _id: user._id }, { $set: { passwordHash: await hashPassword(password) } });
  return user;
}
