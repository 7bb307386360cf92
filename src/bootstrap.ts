import { randomBytes } from 'node:crypto';
import type { Config } from './config';
import type { Db } from 'mongodb';
import { apiKeys, settings, users } from './db/collections';
import type { Scope } from './domain/access';
import { hashApiKey, hashPassword, newApiKey } from './app/credentials';
import { type CodecKey, newCodecKeyEntry, parseCodecKeys } from './temporal/codec';

/** Creates the first admin when no user with that email exists; an existing password is left alone. */
export async function ensureAdmin(db: Db, email: string, password: string): Promise<'created' | 'exists'> {
  const id = email.toLowerCase();
  const result = await users(db).updateOne(
    { _id: id },
    {
      $setOnInsert: {
        email: id,
        name: 'Administrator',
        role: 'admin',
        passwordHash: await hashPassword(password),
        authVersion: 0,
        createdAt: new Date(),
      },
    },
    { upsert: true },
  );
  return result.upsertedCount ? 'created' : 'exists';
}

/** A key with the given scopes (the bootstrap key may do everything), created if missing. */
export async function ensureApiKey(
  db: Db,
  key: string,
  name = 'bootstrap',
  scopes: Scope[] = ['admin'],
): Promise<void> {
  await apiKeys(db).updateOne(
    { _id: hashApiKey(key) },
    { $setOnInsert: { name, prefix: key.slice(0, 6), scopes, createdAt: new Date() } },
    { upsert: true },
  );
}

/** A secret from the environment, or one generated once and kept in MongoDB (the embedded stack's default). */
async function configuredOrStoredSecret(db: Db, name: string, configured?: string): Promise<string> {
  if (configured) return configured;
  await settings(db).updateOne(
    { _id: name },
    { $setOnInsert: { value: randomBytes(32).toString('base64url') } },
    { upsert: true },
  );
  const doc = await settings(db).findOne({ _id: name });
  return doc!.value;
}

/**
 * TEMPORAL_CODEC_KEYS, or for `npm start` a key generated once and kept in MongoDB like the other
 * demo secrets, so the demo runs encrypted and a restart still reads what it wrote.
 */
export async function codecKeys(db: Db, configured?: CodecKey[]): Promise<CodecKey[]> {
  if (configured) return configured;
  const _id = 'temporal-codec-keys';
  await settings(db).updateOne({ _id }, { $setOnInsert: { value: newCodecKeyEntry('demo1') } }, { upsert: true });
  const doc = await settings(db).findOne({ _id });
  return parseCodecKeys(doc!.value);
}

/** Signs admin session cookies (SESSION_SECRET). */
export const sessionSecret = (db: Db, configured?: string) =>
  configuredOrStoredSecret(db, 'session-secret', configured);

/** Derives survey link tokens (SURVEY_TOKEN_SECRET); changing it invalidates every link already sent. */
export const surveyTokenSecret = (db: Db, configured?: string) =>
  configuredOrStoredSecret(db, 'survey-token-secret', configured);

/**
 * Keys customer IDs in Temporal's workflow IDs and search attributes (CUSTOMER_KEY_SECRET); changing
 * it gives every customer a new loop ID, so it is set once per deployment.
 */
export const customerKeySecret = (db: Db, configured?: string) =>
  configuredOrStoredSecret(db, 'customer-key-secret', configured);

/** Demo credentials for `npm start`, generated once per data directory and kept in MongoDB. */
export async function demoCredentials(db: Db): Promise<{ adminEmail: string; adminPassword: string; apiKey: string }> {
  const defaults = {
    adminEmail: 'admin@cxloop.localhost',
    adminPassword: randomBytes(9).toString('base64url'),
    apiKey: newApiKey(),
  };
  await settings(db).updateOne(
    { _id: 'demo-credentials' },
    { $setOnInsert: { value: JSON.stringify(defaults) } },
    { upsert: true },
  );
  const doc = await settings(db).findOne({ _id: 'demo-credentials' });
  return JSON.parse(doc!.value) as typeof defaults;
}

/** What CXLOOP_ADMIN_EMAIL / CXLOOP_ADMIN_PASSWORD / CXLOOP_API_KEY ask for, at every start (idempotent). */
export async function applyBootstrap(db: Db, bootstrap: Config['bootstrap']): Promise<void> {
  if (bootstrap.adminEmail && bootstrap.adminPassword)
    await ensureAdmin(db, bootstrap.adminEmail, bootstrap.adminPassword);
  if (bootstrap.apiKey) await ensureApiKey(db, bootstrap.apiKey);
}
