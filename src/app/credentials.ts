import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import type { Db } from 'mongodb';
import { type ApiKeyDoc, sessions } from '../db/collections';
import type { Scope } from '../domain/access';

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

/** Ends every session of a user at once (after a password change or when the account is disabled). */
export async function endSessionsOf(db: Db, userId: string): Promise<void> {
  await sessions(db).deleteMany({ 'session.userId': userId });
}
