import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Db, Filter } from 'mongodb';
import { audit } from '../db/audit';
import * as c from '../db/collections';
import { withConsentOf } from '../db/customers';
import type { CaseScope } from '../domain/case-access';
import { mongoFilter } from '../app/cases';
import type { Cell, TableExport } from '../app/table-exports';
import { apiActor } from './auth';
import { HttpError } from './errors';
import { ZExternalId } from '../app/schemas';
import { parseInput } from '../app/validation';

/** Rows are read and written a page at a time, so an export's memory does not grow with its size. */
const PAGE = 500;

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
  { filename, columns, rows, table, filters }: TableExport,
): Promise<void> {
  async function* each() {
    yield* rows;
  }
  return sendCsv(res, filename, columns, each(), { db, table, filters });
}

/** Pages of a cursor, for readers that look up something per page. */
async function* pagesOf<T>(cursor: AsyncIterable<T>): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const doc of cursor) {
    page.push(doc);
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** Customers with one column per attribute any of them has (a first pass collects the names). */
async function customersCsv(db: Db): Promise<{ columns: string[]; rows: AsyncIterable<Cell[]> }> {
  const names = new Set<string>();
  for await (const { attributes } of c.customers(db).find({}, { projection: { attributes: 1 } }))
    for (const name of Object.keys(attributes ?? {})) names.add(name);
  const attributeNames = [...names].sort();
  const columns = ['id', 'email', 'name', 'locale', 'timezone', 'unsubscribed', 'erased', 'createdAt', 'updatedAt'];
  async function* rows() {
    for await (const page of pagesOf(c.customers(db).find({}).sort({ _id: 1 }))) {
      for (const customer of await withConsentOf(db, page)) {
        yield [
          customer._id,
          customer.email,
          customer.name,
          customer.locale,
          customer.timezone,
          customer.unsubscribed,
          Boolean(customer.erasedAt),
          customer.createdAt,
          customer.updatedAt,
          ...attributeNames.map((name) => customer.attributes?.[name]),
        ];
      }
    }
  }
  return { columns: [...columns, ...attributeNames.map((name) => `attributes.${name}`)], rows: rows() };
}

const REPLY_COLUMNS = [
  'id',
  'programId',
  'customerId',
  'submittedAt',
  'finalizedAt',
  'nps',
  'npsCategory',
  'csat',
  'ces',
  'summary',
  'sentiment',
  'themes',
  'verbatim',
  'answers',
];

async function* replyRows(db: Db, filter: Filter<c.ResponseDoc>): AsyncGenerator<Cell[]> {
  for await (const reply of c.responses(db).find(filter).sort({ submittedAt: 1 })) {
    const s = reply.scores;
    yield [
      reply._id,
      reply.programId,
      reply.customerId,
      reply.submittedAt,
      reply.finalizedAt,
      s?.nps,
      s?.npsCategory,
      s?.csat,
      s?.ces,
      s?.summary,
      s?.sentiment,
      s?.themes?.join(';'),
      s?.verbatim,
      JSON.stringify(reply.answers ?? {}),
    ];
  }
}

const CASE_COLUMNS = [
  'id',
  'customerId',
  'programId',
  'status',
  'priority',
  'teamId',
  'ownerId',
  'reasons',
  'rootCause',
  'escalation',
  'openedAt',
  'resolvedAt',
  'closedAt',
];

/** Optional chaining throughout: a partial or older document is a row with empty cells, never a failed export. */
async function* caseRows(db: Db, filter: Filter<c.CaseDoc>): AsyncGenerator<Cell[]> {
  for await (const doc of c.cases(db).find(filter).sort({ openedAt: 1 })) {
    yield [
      doc._id,
      doc.customerId,
      doc.programId,
      doc.status,
      doc.priority,
      doc.teamId,
      doc.ownerId,
      doc.reasons?.join(';'),
      doc.rootCause,
      doc.escalation,
      doc.openedAt,
      doc.resolvedAt,
      doc.closedAt,
    ];
  }
}

const ZExportFilter = z.object({ programId: ZExternalId.optional() }).strict();

/** Who may download what: every customer and reply (`bulk`), and cases within the caller's scope. */
export interface ExportAccess {
  bulk: RequestHandler;
  cases: RequestHandler;
  caseScopeOf(res: Response): Promise<CaseScope>;
}

/** How the audit log names a case scope: every case, or the teams (and the person's own cases). */
const scopeLabel = (scope: CaseScope) => (scope.all ? 'all' : { teams: scope.teamIds, ownerId: scope.ownerId });

/** The three CSV exports under `/export/`, behind API scopes or admin roles; each one audited. */
export function addExportRoutes(router: Router, db: Db, access: ExportAccess): void {
  router.get('/export/customers.csv', access.bulk, async (_req, res) => {
    const { columns, rows } = await customersCsv(db);
    await sendCsv(res, 'customers.csv', columns, rows, { db, table: 'customers', filters: {} });
  });
  router.get('/export/replies.csv', access.bulk, async (req, res) => {
    const filters = parseInput(ZExportFilter, req.query, 'export filter');
    await sendCsv(res, 'replies.csv', REPLY_COLUMNS, replyRows(db, filters), { db, table: 'replies', filters });
  });
  router.get('/export/cases.csv', access.cases, async (req, res) => {
    const filters = parseInput(ZExportFilter, req.query, 'export filter');
    const scope = await access.caseScopeOf(res);
    await sendCsv(res, 'cases.csv', CASE_COLUMNS, caseRows(db, mongoFilter(filters, scope)), {
      db,
      table: 'cases',
      filters: { ...filters, scope: scopeLabel(scope) },
    });
  });
}

/** An import's refused rows, by line, for the person fixing the file. */
export async function sendImportErrors(db: Db, res: Response, importId: string): Promise<void> {
  if (!(await c.imports(db).findOne({ _id: importId }))) throw new HttpError(404, `no import ${importId}`);
  async function* rows(): AsyncGenerator<Cell[]> {
    for await (const error of c.importErrors(db).find({ importId }).sort({ line: 1 }))
      yield [error.line, error.customerId, error.message];
  }
  await sendCsv(res, `import-${importId}-errors.csv`, ['line', 'customerId', 'message'], rows(), {
    db,
    table: 'import-errors',
    filters: { importId },
  });
}
