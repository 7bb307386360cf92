import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { Db } from 'mongodb';
import pLimit from 'p-limit';
import * as c from '../db/collections';
import { insertCustomer, insertNewCustomers } from '../db/customers';
import { isDuplicateKeyError } from '../db/insert-once';
import { type CustomerProfile, attributeValue, profileChanges } from '../domain/customer';
import { AppError } from './errors';
import { type LoopSettings, signalProfileChange } from '../temporal/loop-client';
import { recordProfileChange } from './customers';
import { z } from 'zod';
import { ZCustomerInput } from './schemas';

export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
/** Rows in flight at once: enough to keep MongoDB busy, few enough to keep memory flat. */
const BATCH = 200;
const CONCURRENCY = 8;
/** Refused rows kept per import; the count goes on beyond it. */
const MAX_ERRORS_KEPT = 10_000;

const FIELDS = new Set(['id', 'email', 'name', 'locale', 'timezone']);

type RowOutcome = 'created' | 'updated' | 'unchanged' | { failed: string };

/** Where a column goes: a customer field, an attribute (`attributes.<name>`), or `ignore`. */
export type ColumnTarget = string;

/**
 * Which column holds what. By default a column named like a customer field fills it and every
 * other column is an attribute of that name; `mapping` (from the upload form) says otherwise.
 */
function columnsOf(header: string[], mapping: Record<string, ColumnTarget>): (row: string[]) => unknown {
  const targets = header.map((raw) => {
    const name = raw.trim();
    const target = mapping[name] ?? (FIELDS.has(name.toLowerCase()) ? name.toLowerCase() : `attributes.${name}`);
    return target.replace(/^attributes\.attributes\./, 'attributes.');
  });
  if (!targets.includes('id') || !targets.includes('email'))
    throw new AppError('invalid', 'the first line must name the columns, including id and email');
  const seen = new Set<string>();
  for (const target of targets.filter((t) => t !== 'ignore')) {
    if (seen.has(target)) throw new AppError('invalid', `column ${target.replace(/^attributes\./, '')} appears twice`);
    seen.add(target);
  }
  return (row) => {
    const attributes: Record<string, string | number | boolean> = {};
    const fields: Record<string, string> = {};
    row.forEach((cell, i) => {
      const target = targets[i];
      if (target === undefined || target === 'ignore' || cell === '') return;
      if (target.startsWith('attributes.')) attributes[target.slice('attributes.'.length)] = attributeValue(cell);
      else fields[target] = cell;
    });
    return { ...fields, ...(Object.keys(attributes).length ? { attributes } : {}) };
  };
}

const ZColumnTarget = z
  .string()
  .regex(
    /^(id|email|name|locale|timezone|ignore|attributes\.[A-Za-z][A-Za-z0-9_]{0,63})$/,
    'id, email, name, locale, timezone, ignore or attributes.<name>',
  );

/** The upload's query: an optional import ID chosen by the caller (to follow its progress) and column mapping. */
export const ZImportOptions = z
  .object({
    importId: z
      .uuid()
      .optional()
      .describe('Chosen by the caller, to follow the import and make a retry the same import'),
    map: z
      .string()
      .max(8_000)
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'a JSON object of column name to target' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().max(200), ZColumnTarget))
      .optional()
      .describe(
        'JSON: column name → id, email, name, locale, timezone, ignore or attributes.<name> (default: by column name)',
      ),
  })
  .strict();

/** Fails the upload once it is larger than the limit, without reading the rest. */
function byteLimit(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limit) done(new AppError('too-large', `the file is larger than ${limit / 1024 / 1024} MB`));
      else done(null, chunk);
    },
  });
}

type ParsedRow = { record: string[]; info: { lines: number } };
type Parsed = AsyncIterator<ParsedRow>;

/**
 * Creates or updates customers from a CSV file (first line: column names; `id` and `email`
 * required, `name`, `locale`, `timezone` optional, every other column an attribute). The upload is
 * received whole into a temporary file and its header checked before this returns, so the caller
 * may answer at once and let `finished` run: a slow import never runs into the request's
 * time-out. The rows are then parsed as a stream a batch at a time, never loaded whole. New
 * customers are inserted; a changed one is handed to their loop, the record's one writer; an
 * unchanged one is left alone, so importing the same file twice changes nothing. Refused rows are
 * kept with their line.
 */
export async function startImport(
  db: Db,
  loop: LoopSettings,
  body: Readable,
  options: { actor: string; importId?: string; mapping?: Record<string, ColumnTarget> },
): Promise<{ job: c.ImportDoc; finished: Promise<c.ImportDoc> }> {
  const job: c.ImportDoc = {
    _id: options.importId ?? randomUUID(),
    actor: options.actor,
    status: 'running',
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    startedAt: new Date(),
  };
  await c
    .imports(db)
    .insertOne(job)
    .catch((err: unknown) => {
      throw isDuplicateKeyError(err) ? new AppError('conflict', `import ${job._id} exists already`) : err;
    });
  const file = path.join(os.tmpdir(), `cxloop-import-${randomUUID()}.csv`);
  const ended = async (err: unknown): Promise<never> => {
    const message = err instanceof AppError ? err.message : csvProblem(err);
    Object.assign(job, { status: 'failed', finishedAt: new Date(), error: message ?? 'the import stopped' });
    await c.imports(db).updateOne({ _id: job._id }, { $set: counts(job) });
    if (err instanceof AppError) throw err;
    if (message) throw new AppError('invalid', message);
    throw err;
  };
  let rows: Parsed;
  let toProfile: (row: string[]) => unknown;
  try {
    await pipeline(body, byteLimit(MAX_IMPORT_BYTES), createWriteStream(file));
    const parser = createReadStream(file).pipe(
      parse({ bom: true, info: true, skip_empty_lines: true, max_record_size: 64 * 1024 }),
    );
    rows = (parser as AsyncIterable<ParsedRow>)[Symbol.asyncIterator]();
    const header = await rows.next();
    if (header.done) throw new AppError('invalid', 'the file is empty: the first line must name the columns');
    toProfile = columnsOf(header.value.record, options.mapping ?? {});
  } catch (err) {
    await rm(file, { force: true });
    return ended(err);
  }
  const finished = importRows(db, loop, job, rows, toProfile)
    .catch(ended)
    .finally(() => rm(file, { force: true }));
  return { job: { ...job }, finished };
}

/** The rows after the header, a batch at a time, counted into the job. */
async function importRows(
  db: Db,
  loop: LoopSettings,
  job: c.ImportDoc,
  rows: Parsed,
  toProfile: (row: string[]) => unknown,
): Promise<c.ImportDoc> {
  const limit = pLimit(CONCURRENCY);
  let batch: { line: number; row: string[] }[] = [];
  const flush = async () => {
    const rows = batch.map(({ line, row }) => ({ line, ...validated(toProfile(row)) }));
    // New customers in one command; the rest row by row, a customer's rows in file order.
    const firsts = new Map<string, CustomerProfile>();
    for (const { profile } of rows) if (profile && !firsts.has(profile.id)) firsts.set(profile.id, profile);
    const created = await insertNewCustomers(db, [...firsts.values()]);
    const previous = new Map<string, Promise<unknown>>();
    const outcomes = await Promise.all(
      rows.map(({ line, id, profile, failed }) => {
        if (!profile) return { line, id, outcome: { failed: failed! } as RowOutcome };
        if (created.has(profile.id) && firsts.get(profile.id) === profile)
          return { line, id, outcome: 'created' as const };
        const before = previous.get(profile.id);
        const done = limit(async () => {
          await before;
          return { line, id, outcome: await importExisting(db, loop, profile) };
        });
        previous.set(profile.id, done);
        return done;
      }),
    );
    for (const { line, id, outcome } of outcomes) {
      job.rows++;
      if (typeof outcome === 'string') job[outcome]++;
      else await refuse(db, job, line, id, outcome.failed);
    }
    batch = [];
    await c.imports(db).updateOne({ _id: job._id }, { $set: counts(job) });
  };
  for (let next = await rows.next(); !next.done; next = await rows.next()) {
    batch.push({ line: next.value.info.lines, row: next.value.record });
    if (batch.length === BATCH) await flush();
  }
  if (batch.length) await flush();
  Object.assign(job, { status: 'done', finishedAt: new Date() });
  await c.imports(db).updateOne({ _id: job._id }, { $set: counts(job) });
  return job;
}

function counts(job: c.ImportDoc): Partial<c.ImportDoc> {
  const { _id, actor: _actor, startedAt: _startedAt, ...rest } = job;
  return rest;
}

/** csv-parse's own errors say what is wrong with the file and where. */
function csvProblem(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string };
  return typeof e?.code === 'string' && e.code.startsWith('CSV_') ? `not a valid CSV file: ${e.message}` : undefined;
}

async function refuse(db: Db, job: c.ImportDoc, line: number, customerId: string | undefined, message: string) {
  job.failed++;
  if (job.failed > MAX_ERRORS_KEPT) return;
  await c.importErrors(db).insertOne({
    _id: `${job._id}:${line}`,
    importId: job._id,
    line,
    ...(customerId ? { customerId: customerId.slice(0, 200) } : {}),
    message,
  });
}

/** A row as a profile, or why it is refused (the same rules as `PUT /api/customers`). */
function validated(row: unknown): { id?: string; profile?: CustomerProfile; failed?: string } {
  const id = (row as { id?: unknown }).id;
  const parsed = ZCustomerInput.safeParse(row);
  if (parsed.success) return { id: parsed.data.id, profile: parsed.data };
  return {
    ...(typeof id === 'string' ? { id } : {}),
    failed: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; '),
  };
}

/** A customer the bulk insert did not create: unchanged, changed (to their loop) or erased. */
async function importExisting(db: Db, loop: LoopSettings, profile: CustomerProfile): Promise<RowOutcome> {
  const stored = await c.customers(db).findOne({ _id: profile.id });
  if (stored?.erasedAt) return { failed: 'this customer was erased and cannot be recreated' };
  if (!stored && (await insertCustomer(db, profile))) return 'created';
  if (stored && !profileChanges(stored, profile)) return 'unchanged';
  await signalProfileChange(loop, profile.id, await recordProfileChange(db, profile));
  return 'updated';
}

/** An import as the API and the upload page show it. */
export function importView({ _id, ...job }: c.ImportDoc) {
  return { id: _id, ...job };
}

/** An import's progress and counts, or null when there is no such import. */
export async function importStatus(db: Db, importId: string): Promise<ReturnType<typeof importView> | null> {
  const job = await c.imports(db).findOne({ _id: importId });
  return job && importView(job);
}
