import type { Db, Filter } from 'mongodb';
import * as c from '../db/collections';
import { withConsentOf } from '../db/customers';
import type { CaseScope } from '../domain/case-access';
import { type Person, keyCaseAccessOf, mongoFilter } from './cases';
import { type CustomerAccess, customerAccessOf, customersInUnits } from './customers';
import { AppError } from './errors';
import type { Cell } from './table-exports';

/**
 * A whole collection as a download: rows are read a page at a time as the download is written, so
 * its memory does not grow with its size. The table and filters are what the audit log records.
 */
export interface BulkExport {
  filename: string;
  columns: string[];
  rows: AsyncIterable<Cell[]>;
  table: string;
  filters: object;
}

/** What a caller's downloads hold: the cases of their case scope, the customers (and replies) of their units. */
export interface ExportScope {
  cases: CaseScope;
  customers: CustomerAccess;
}

export async function exportScopeOf(db: Db, user: Person): Promise<ExportScope> {
  const customers = await customerAccessOf(db, user);
  return { cases: customers.person.scope, customers };
}

export async function keyExportScopeOf(
  db: Db,
  key: { teams?: readonly string[]; units?: readonly string[] },
): Promise<ExportScope> {
  const { scope, units, unitScope } = await keyCaseAccessOf(db, key);
  return { cases: scope, customers: { units, unitScope } };
}

/** How the audit log names the units a download was limited to (none: every unit). */
const unitsLabel = (access: CustomerAccess) => (access.unitScope.all ? {} : { units: access.unitScope.top });

/** Customers are read this many at a time (their consent is looked up per page). */
const PAGE = 500;

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

const CUSTOMER_COLUMNS = [
  'id',
  'email',
  'name',
  'locale',
  'timezone',
  'unsubscribed',
  'erased',
  'createdAt',
  'updatedAt',
];

/**
 * The customers of the caller's units with one column per attribute any of them has (a first pass
 * collects the names, so that no other unit's attribute names show either).
 */
export async function customersExport(db: Db, access: CustomerAccess): Promise<BulkExport> {
  const filter: Filter<c.CustomerDoc> = customersInUnits(access) ?? {};
  const names = new Set<string>();
  for await (const { attributes } of c.customers(db).find(filter, { projection: { attributes: 1 } }))
    for (const name of Object.keys(attributes ?? {})) names.add(name);
  const attributeNames = [...names].sort();
  async function* rows() {
    for await (const page of pagesOf(c.customers(db).find(filter).sort({ _id: 1 }))) {
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
  return {
    filename: 'customers.csv',
    columns: [...CUSTOMER_COLUMNS, ...attributeNames.map((name) => `attributes.${name}`)],
    rows: rows(),
    table: 'customers',
    filters: unitsLabel(access),
  };
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

/**
 * The replies of the customers of the caller's units. A reply does not carry its customer's
 * attributes: each page of replies keeps those whose customers one query finds in the units.
 */
async function* repliesInUnits(db: Db, filter: Filter<c.ResponseDoc>, access: CustomerAccess) {
  const inUnits = customersInUnits(access);
  const replies = c.responses(db).find(filter).sort({ submittedAt: 1 });
  if (!inUnits) return yield* replies;
  for await (const page of pagesOf(replies)) {
    const ids = [...new Set(page.map((reply) => reply.customerId))];
    const customers = await c
      .customers(db)
      .find({ $and: [{ _id: { $in: ids } }, inUnits as Filter<c.CustomerDoc>] }, { projection: { _id: 1 } })
      .toArray();
    const seen = new Set(customers.map((customer) => customer._id));
    yield* page.filter((reply) => seen.has(reply.customerId));
  }
}

async function* replyRows(db: Db, filter: Filter<c.ResponseDoc>, access: CustomerAccess): AsyncGenerator<Cell[]> {
  for await (const reply of repliesInUnits(db, filter, access)) {
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

/** Every reply of the customers of the caller's units, or one program's, oldest first. */
export function repliesExport(db: Db, filters: { programId?: string }, access: CustomerAccess): BulkExport {
  return {
    filename: 'replies.csv',
    columns: REPLY_COLUMNS,
    rows: replyRows(db, filters, access),
    table: 'replies',
    filters: { ...filters, ...unitsLabel(access) },
  };
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

/** How the audit log names a case scope: every case, or the teams (and the person's own cases). */
const scopeLabel = (scope: CaseScope) => (scope.all ? 'all' : { teams: scope.teamIds, ownerId: scope.ownerId });

/** The cases within the caller's scope, or one program's of them, oldest first. */
export function casesExport(db: Db, filters: { programId?: string }, scope: CaseScope): BulkExport {
  return {
    filename: 'cases.csv',
    columns: CASE_COLUMNS,
    rows: caseRows(db, mongoFilter(filters, scope)),
    table: 'cases',
    filters: { ...filters, scope: scopeLabel(scope) },
  };
}

/** An import's refused rows, by line, for the person fixing the file. */
export async function importErrorsExport(db: Db, importId: string): Promise<BulkExport> {
  if (!(await c.imports(db).findOne({ _id: importId }))) throw new AppError('not-found', `no import ${importId}`);
  async function* rows(): AsyncGenerator<Cell[]> {
    for await (const error of c.importErrors(db).find({ importId }).sort({ line: 1 }))
      yield [error.line, error.customerId, error.message];
  }
  return {
    filename: `import-${importId}-errors.csv`,
    columns: ['line', 'customerId', 'message'],
    rows: rows(),
    table: 'import-errors',
    filters: { importId },
  };
}
