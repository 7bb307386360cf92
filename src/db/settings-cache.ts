import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, Db, MongoClient } from 'mongodb';
import { durationMs } from '../domain/duration';

/**
 * The settings the closed loop reads at nearly every step — programs, the units tree, routing,
 * lookup indexes, staff accounts and whether a campaign was cancelled — kept in memory per process
 * for a short time (SETTINGS_CACHE_TTL), so a loop reads each of them once per process and period
 * instead of once per step. What this process writes to those collections, through any of its
 * clients, is forgotten at once; what another process writes is seen within the TTL. Customers'
 * data is never kept here: it is read fresh, so an erasure leaves no copy behind.
 */
export type SettingsCollection =
  'programs' | 'org_units' | 'routing' | 'lookup_indexes' | 'users' | 'campaign_progress';

const CACHED: ReadonlySet<string> = new Set<SettingsCollection>([
  'programs',
  'org_units',
  'routing',
  'lookup_indexes',
  'users',
  'campaign_progress',
]);
const WRITES: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'findAndModify', 'drop']);

/** Settings kept at most at once; a program is a few kilobytes. */
const MAX_KEPT = 1000;

/** SETTINGS_CACHE_TTL when unset. */
export const SETTINGS_CACHE_TTL_DEFAULT = '2s';

let ttlMs = durationMs(SETTINGS_CACHE_TTL_DEFAULT);
const kept = new Map<string, { expires: number; reading: Promise<unknown> }>();

/** How long a setting read here is used before it is read again (0: never kept; none given: the default). */
export function setSettingsCacheTtl(ms = durationMs(SETTINGS_CACHE_TTL_DEFAULT)): void {
  ttlMs = ms;
  kept.clear();
}

const prefixOf = (databaseName: string, collection: string) => `${databaseName}\u0000${collection}\u0000`;

/**
 * The setting `id` of `collection`, read with `read` at most once per TTL in this process (`fresh`:
 * read now, and keep that). Every caller gets its own copy, so nobody changes what the next one
 * gets. A failed read is not kept, nor is a missing setting (null): one created in another process
 * a moment ago is found at the next ask.
 */
export function cachedSetting<T>(
  db: Db,
  collection: SettingsCollection,
  id: string,
  read: () => Promise<T>,
  { fresh = false }: { fresh?: boolean } = {},
): Promise<T> {
  if (ttlMs <= 0) return read();
  const key = prefixOf(db.databaseName, collection) + id;
  const now = Date.now();
  const found = kept.get(key);
  if (!fresh && found && found.expires > now) return found.reading.then(copyOf) as Promise<T>;
  const entry = { expires: now + ttlMs, reading: read() };
  const forgetEntry = () => {
    if (kept.get(key) === entry) kept.delete(key);
  };
  entry.reading.then((value) => value ?? forgetEntry(), forgetEntry);
  // Re-inserted, so the map's order stays oldest first.
  kept.delete(key);
  if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(key, entry);
  return entry.reading.then(copyOf) as Promise<T>;
}

const copyOf = <T>(value: T): T => (value === null || typeof value !== 'object' ? value : structuredClone(value));

/** Forgets a collection's settings, or all the database's when it is dropped (`collection` null). */
function forget(databaseName: string, collection: string | null): void {
  const prefix = collection === null ? `${databaseName}\u0000` : prefixOf(databaseName, collection);
  for (const key of kept.keys()) if (key.startsWith(prefix)) kept.delete(key);
}

/** The settings a command may change: a cached collection it writes, or every one (null) when it drops the database. */
function changedBy(event: CommandStartedEvent): { databaseName: string; collection: string | null } | undefined {
  if (event.commandName === 'dropDatabase') return { databaseName: event.databaseName, collection: null };
  const collection: unknown = event.command[event.commandName];
  if (!WRITES.has(event.commandName) || typeof collection !== 'string' || !CACHED.has(collection)) return undefined;
  return { databaseName: event.databaseName, collection };
}

/**
 * Forgets a collection's settings whenever this client writes to it: when the write is sent, and
 * again when it is answered, so a read that raced the write is not kept either.
 */
export function forgetSettingsOnWrite(client: MongoClient): void {
  const pending = new Map<number, { databaseName: string; collection: string | null }>();
  client.on('commandStarted', (event: CommandStartedEvent) => {
    const write = changedBy(event);
    if (!write) return;
    pending.set(event.requestId, write);
    forget(write.databaseName, write.collection);
  });
  const answered = (event: CommandSucceededEvent | CommandFailedEvent) => {
    const write = pending.get(event.requestId);
    if (!write) return;
    pending.delete(event.requestId);
    forget(write.databaseName, write.collection);
  };
  client.on('commandSucceeded', answered);
  client.on('commandFailed', answered);
}
