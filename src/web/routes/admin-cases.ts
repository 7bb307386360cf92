import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import { PRIORITIES } from '../../domain/case-rules';
import { CASE_STATUSES, STATUS_LABELS } from '../../domain/cases';
import { localize } from '../../domain/localize';
import type { SignedInUser } from '../auth';
import { allowRoles } from '../access';
import {
  CASE_SORTS,
  type CaseSort,
  actOnCaseAs,
  casePage,
  caseQueue,
  listAuditLog,
  caseFilterFrom,
  slaOf,
} from '../../app/cases';
import { AppError, type AppErrorKind } from '../../app/errors';
import { statusOf } from '../errors';
import { ZPage } from '../../app/schemas';
import { parseInput } from '../../app/validation';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

const PAGE_SIZE = 25;
/** Refusals answered with a page of their own, not the case page: a missing case, one out of scope, a service down. */
const PAGE_ERRORS = new Set<AppErrorKind>(['unavailable', 'not-found', 'forbidden']);

/** The case owners' pages: queues, a case with its timeline, and the owner actions as forms. */
export function caseRoutes(
  router: Router,
  { db, temporal, send, roles }: { db: Db; temporal: Client; send: Send; roles: Role[] },
): void {
  router.get('/cases', allowRoles(...roles), async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const view = ['mine', 'team', 'all'].includes(String(req.query.view)) ? String(req.query.view) : 'mine';
    const { view: _v, sort: _s, offset: _o, ...query } = req.query;
    if (!('status' in query)) query.status = 'unclosed';
    const filter = caseFilterFrom(query);
    const sort: CaseSort = String(req.query.sort) in CASE_SORTS ? (String(req.query.sort) as CaseSort) : 'newest';
    const page = parseInput(ZPage, { limit: PAGE_SIZE, offset: req.query.offset || undefined }, 'paging');
    const { items, total, myTeams } = await caseQueue(db, user, view, filter, sort, {
      limit: page.limit,
      skip: page.offset,
    });
    const link = (offset: number) =>
      `/admin/cases?${new URLSearchParams({ ...stringsOf(req.query), offset: String(offset) }).toString()}`;
    send(req, res, 'cases', {
      title: view === 'mine' ? 'My queue' : view === 'team' ? 'Team queue' : 'All cases',
      view,
      filter: { ...filter, sort },
      teams: myTeams,
      statuses: CASE_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })),
      priorities: PRIORITIES,
      cases: items.map((doc) => ({
        ...doc,
        statusLabel: STATUS_LABELS[doc.status],
        sla: slaOf(doc),
      })),
      total,
      from: total === 0 ? 0 : page.offset + 1,
      to: page.offset + items.length,
      previous: page.offset > 0 ? link(Math.max(0, page.offset - PAGE_SIZE)) : null,
      next: page.offset + items.length < total ? link(page.offset + PAGE_SIZE) : null,
    });
  });

  async function showCase(req: Request<{ id: string }>, res: Response, flash?: { error?: string }, status = 200) {
    const { doc, timeline, customer, program, replies, pastCases, owners, summary, rootCauses, can } = await casePage(
      db,
      req.params.id,
      res.locals.user as SignedInUser,
    );
    const trigger = replies.find((r) => r._id === doc._id);
    const questions = program?.survey.questions ?? [];
    send(
      req,
      res,
      'case',
      {
        title: `Case: ${customer?.name ?? doc.customerId}`,
        case: doc,
        statusLabel: STATUS_LABELS[doc.status],
        sla: slaOf(doc),
        customer,
        summary,
        attributes: Object.entries(customer?.attributes ?? {}).map(([key, value]) => ({ key, value })),
        program,
        trigger: trigger && {
          ...trigger,
          answers: questions
            .filter((q) => trigger.answers[q.id] !== undefined)
            .map((q) => ({
              question: localize(q.label, program!.defaultLocale),
              value: String(trigger.answers[q.id]),
            })),
        },
        history: replies.map((r) => ({ ...r, attached: doc.replyIds.includes(r._id) })),
        pastCases: pastCases.map((p) => ({ ...p, statusLabel: STATUS_LABELS[p.status] })),
        timeline,
        owners: owners.map((o) => ({ id: o._id, name: o.name, current: o._id === doc.ownerId })),
        rootCauses,
        can,
        // One per rendering of the page: a form sent twice (a double click, a retry) acts once.
        requestId: randomUUID(),
        done: typeof req.query.done === 'string' ? req.query.done.slice(0, 40) : undefined,
        error: flash?.error,
      },
      status,
    );
  }

  router.get('/cases/:id', allowRoles(...roles), (req: Request<{ id: string }>, res) => showCase(req, res));

  router.post('/cases/:id/:action', allowRoles(...roles), async (req: Request<{ id: string; action: string }>, res) => {
    const { requestId, ...body } = formFields(req.body as Record<string, unknown>);
    const input = { ...body, action: req.params.action };
    try {
      await actOnCaseAs(temporal, db, res.locals.user as SignedInUser, { caseId: req.params.id, input, requestId });
    } catch (err) {
      // A refused or invalid action: the case page again, with the reason on top. A case outside
      // the person's scope is the 403 page, not its case page.
      if (err instanceof AppError && !PAGE_ERRORS.has(err.kind))
        return showCase(req, res, { error: err.message }, statusOf(err.kind));
      throw err;
    }
    res.redirect(
      303,
      `/admin/cases/${encodeURIComponent(req.params.id)}?done=${encodeURIComponent(req.params.action)}`,
    );
  });
}

/** The form's fields without the CSRF token and empty optional fields. */
function formFields(body: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body ?? {}).filter(
      ([key, value]) => key !== '_csrf' && !(typeof value === 'string' && value.trim() === ''),
    ),
  );
}

function stringsOf(query: Request['query']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

export function auditRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }): void {
  router.get('/audit', allowRoles(...roles), async (req, res) => {
    const page = parseInput(ZPage, { limit: 50, offset: req.query.offset || undefined }, 'paging');
    const entries = await listAuditLog(db, { limit: page.limit, skip: page.offset });
    send(req, res, 'audit', {
      title: 'Audit log',
      entries: entries.map((e) => ({
        ...e,
        beforeJson: JSON.stringify(e.before ?? {}),
        afterJson: JSON.stringify(e.after ?? {}),
      })),
      previous: page.offset > 0 ? `/admin/audit?offset=${Math.max(0, page.offset - 50)}` : null,
      next: entries.length === page.limit ? `/admin/audit?offset=${page.offset + 50}` : null,
    });
  });
}
