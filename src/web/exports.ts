import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Db } from 'mongodb';
import { audit } from '../db/audit';
import {
  type BulkExport,
  type ExportScope,
  casesExport,
  customersExport,
  importErrorsExport,
  repliesExport,
} from '../app/bulk-exports';
import type { Cell, TableExport } from '../app/table-exports';
import { apiActor } from './auth';
import { ZExternalId } from '../app/schemas';
import { parseInput } from '../app/validation';

/**
 * A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return)
 * gets a leading apostrophe, as OWASP advises against CSV injection; numbers stay numbers.
 */
export function safeCell(value: Cell): string | number {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return value;
  const text = String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** What the audit log records of a download: which table, with which filters (who comes from the request). */
export interface ExportRecord {
  db: Db;
  table: string;
  filters: object;
}

/** Who downloads: the signed-in person's email, or the API key's name. */
function exporterOf(res: Response): string {
  const user = res.locals.user as { email?: string } | undefined;
  if (user?.email) return user.email;
  const key = res.locals.apiKey as { name?: string } | undefined;
  return apiActor({ name: key?.name ?? 'unknown' });
}

/**
 * Streams rows as a CSV download (RFC 4180, UTF-8) with backpressure. The first row is read before
 * the response starts, so a database that is down answers 503 as usual; a failure later can only
 * cut the download off. Every download is written to the audit log with the rows sent, also when
 * it was cut off (`complete: false`): personal data may have left by then.
 */
async function sendCsv(
  res: Response,
  filename: string,
  columns: string[],
  rows: AsyncIterable<Cell[]>,
  record: ExportRecord,
): Promise<void> {
  const iterator = rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  let sent = 0;
  const cells = async function* () {
    for (let row = first; !row.done; row = await iterator.next()) {
      sent += 1;
      yield row.value.map(safeCell);
    }
  };
  res.attachment(filename).type('text/csv; charset=utf-8');
  let complete = false;
  try {
    await pipeline(Readable.from(cells()), stringify({ header: true, columns }), res);
    complete = true;
  } finally {
    await audit(record.db, {
      actor: exporterOf(res),
      action: 'export',
      subject: record.table,
      after: { filters: record.filters, rows: sent, complete },
    });
  }
}

/** A report's table as a CSV download, recorded in the audit log. */
export function sendTable(
  res: Response,
  db: Db,
  { filename, columns, rows, table, filters }: TableExport | BulkExport,
): Promise<void> {
  async function* each() {
    yield* rows;
  }
  return sendCsv(res, filename, columns, each(), { db, table, filters });
}

const ZExportFilter = z.object({ programId: ZExternalId.optional() }).strict();

/**
 * Who may download what: customers and replies (`bulk`), and cases; each within the caller's scope
 * (the cases of their case scope, the customers and replies of their units).
 */
export interface ExportAccess {
  bulk: RequestHandler;
  cases: RequestHandler;
  scopeOf(res: Response): Promise<ExportScope>;
}

/** The three CSV exports under `/export/`, behind API scopes or admin roles; each one audited. */
export function addExportRoutes(router: Router, db: Db, access: ExportAccess): void {
  router.get('/export/customers.csv', access.bulk, async (_req, res) => {
    const { customers } = await access.scopeOf(res);
    await sendTable(res, db, await customersExport(db, customers));
  });
  router.get('/export/replies.csv', access.bulk, async (req, res) => {
    const filters = parseInput(ZExportFilter, req.query, 'export filter');
    await sendTable(res, db, repliesExport(db, filters, (await access.scopeOf(res)).customers));
  });
  router.get('/export/cases.csv', access.cases, async (req, res) => {
    const filters = parseInput(ZExportFilter, req.query, 'export filter');
    await sendTable(res, db, casesExport(db, filters, (await access.scopeOf(res)).cases));
  });
}

/** An import's refused rows, by line, for the person fixing the file. */
export async function sendImportErrors(db: Db, res: Response, importId: string): Promise<void> {
  await sendTable(res, db, await importErrorsExport(db, importId));
}
