import express, { type Request, type Response, Router } from 'express';
import type { Db } from 'mongodb';
import { HttpError } from '../errors';
import { recordEvent, recordEventBatch } from '../../app/events';
import { type LoopSettings } from '../../temporal/loop-client';
import {
  customerDetail,
  ensureWholeOrganisation,
  eraseCustomer,
  keyCustomerAccessOf,
  listCustomers,
  updateCustomerProfile,
} from '../../app/customers';
import { keyExportScopeOf } from '../../app/bulk-exports';
import { listInvitations, listReplies } from '../../app/replies';
import { listOutbox } from '../../app/outbox';
import { CHANGES_DIGEST_SCHEDULE, syncPersonDigest } from '../../app/digests';
import { addExportRoutes, sendImportErrors, sendTable } from '../exports';
import {
  caseMetricsExport,
  dashboardExport,
  journeyExport,
  quadrantAccountsExport,
  rootCauseFixesExport,
} from '../../app/table-exports';
import { dashboardTableOf, loadExperienceDashboard, parseDashboardQuery } from '../../app/insight';
import { caseTableOf, loadCaseMetrics } from '../../app/case-metrics';
import { loadRootCause, markFixed } from '../../app/root-causes';
import { ZFixInput } from '../../domain/fixes';
import { journeySince, loadJourney, loadJourneys } from '../../app/journeys';
import { keyUnitAccessOf } from '../../app/units';
import { loadQuadrants, saveQuadrantCutoffs, sinceMonth } from '../../app/quadrants';
import { ZImportOptions, importStatus, startImport } from '../../app/imports';
import { answerImport } from '../imports';
import { ZProgram } from '../../domain/program';
import { checkShippedTemplates, deleteProgram, findProgram, listPrograms, saveProgram } from '../../app/programs';
import {
  ZCampaignAction,
  ZCampaignInput,
  ZCampaignPreview,
  controlCampaign,
  findCampaign,
  launchCampaign,
  listCampaigns,
  previewSegment,
} from '../../app/campaigns';
import { loadRouting } from '../../db/routing';
import { saveRouting } from '../../app/routing';
import { unitApiRoutes } from './api-units';
import { unitComparisonApiRoutes } from './api-unit-comparison';
import type { Templates } from '../../mail/templates';
import { ZCustomerInput, ZEventInput, ZExternalId, ZPage } from '../../app/schemas';
import { parseInput } from '../../app/validation';
import type { Metrics } from '../metrics';
import { openApiDocument } from '../openapi-document';
import { SCOPES, type Scope, scopeGrants } from '../../domain/access';
import type { IdentityWrite } from '../../domain/event-profile';
import type { AllowList } from '../../domain/webhook-destination';
import { createWebhook, deleteWebhook, listWebhooks } from '../../app/webhooks';
import { ZWebhookInput } from '../../domain/webhook-schema';
import type { CaseScope } from '../../domain/case-access';
import { actOnCaseInScope, caseFilterFrom, caseWithTimeline, keyCaseAccessOf, listCases, slaOf } from '../../app/cases';
import { allowScopes, allowTeamKeys } from '../access';
import { type ApiKeyLocals, apiActor } from '../auth';
import {
  ZApiKeyInput,
  ZUserChange,
  ZUserInput,
  changeUser,
  createApiKey,
  createUser,
  listApiKeys,
  listUsers,
  revokeApiKey,
} from '../../app/people';

export interface ApiDeps {
  db: Db;
  templates: Templates;
  loop: LoopSettings;
  embeddedMail: boolean;
  metrics: Metrics;
  webhookAllowList: AllowList;
}

/** Body limits per route: a batch may be large, nothing else needs to be. Any content type is read as JSON. */
const json = (limit: string) => express.json({ limit, type: () => true });

/** An events-only key may create customers but not change their email or name (the customer-write scope may). */
function identityWriteOf(res: Response): IdentityWrite {
  const scopes = (res.locals.apiKey as { scopes: Scope[] }).scopes;
  return scopeGrants(scopes, ['write']) ? 'change' : 'create-only';
}

const keyOf = (res: Response) => res.locals.apiKey as ApiKeyLocals;

/** `limit` and `offset` from the query; a repeated or malformed parameter is a 400. */
function pageOf(query: Record<string, unknown>): { limit: number; skip: number } {
  const one = (v: unknown) => (Array.isArray(v) ? NaN : v === '' ? undefined : v);
  const page = parseInput(ZPage, { limit: one(query.limit), offset: one(query.offset) }, 'paging');
  return { limit: page.limit, skip: page.offset };
}

/** The JSON API; every route behind an API key (mounted after requireApiKey). */
export function apiRouter({ db, templates, loop, embeddedMail, metrics, webhookAllowList }: ApiDeps): Router {
  const router = Router();
  /** The cases the request's key may see and act on: every case, or those of its teams or its units' teams. */
  const keyCaseScope = async (res: Response): Promise<CaseScope> => (await keyCaseAccessOf(db, keyOf(res))).scope;
  /** The customers the request's key sees: every one, or those of its units. */
  const keyCustomers = (res: Response) => keyCustomerAccessOf(db, keyOf(res));

  router.get('/openapi.json', allowTeamKeys(...SCOPES), (_req, res) => {
    res.json(openApiDocument());
  });

  router.post('/events', allowScopes('events:write'), json('64kb'), async (req, res) => {
    const event = parseInput(ZEventInput, req.body, 'event');
    const outcome = await recordEvent(db, loop, event, identityWriteOf(res));
    metrics.events.inc({ status: outcome.status });
    res.status(202).json({ eventId: event.id, ...outcome });
  });

  // Express 5 treats ':' as a parameter marker, hence the escape.
  router.post('/events\\:batch', allowScopes('events:write'), json('5mb'), async (req, res) => {
    const results = await recordEventBatch(db, loop, req.body, identityWriteOf(res));
    for (const { status } of results) metrics.events.inc({ status });
    res.status(202).json({ results });
  });

  router.put('/customers/:id', allowScopes('write'), json('64kb'), async (req, res) => {
    const input = parseInput(ZCustomerInput, { ...req.body, id: req.params.id }, 'customer');
    res.json(await updateCustomerProfile(db, loop, input, await keyCustomers(res)));
  });

  // Irreversible, hence an admin key: removes the customer's personal data and stops their surveys.
  router.delete('/customers/:id', allowScopes('admin'), async (req, res) => {
    const id = parseInput(ZExternalId, req.params.id, 'customer id');
    const summary = await eraseCustomer(db, loop, id, apiActor(res.locals.apiKey), await keyCustomers(res));
    res.json({ id, erased: true, ...summary });
  });

  // Every customer and reply is beyond a team-restricted key (allowScopes refuses it); cases are within its
  // teams. A unit-restricted key downloads its units' customers and replies, and its units' teams' cases.
  addExportRoutes(router, db, {
    bulk: allowScopes('read'),
    cases: allowTeamKeys('read'),
    scopeOf: (res) => keyExportScopeOf(db, keyOf(res)),
  });

  // The insight reports of the units the key sees (all of them for a key not restricted to units).
  const keyUnits = (res: Response) => keyUnitAccessOf(db, res.locals.apiKey as ApiKeyLocals);

  router.get('/metrics/experience', allowScopes('read'), async (req, res) => {
    const access = await keyUnits(res);
    const { filters } = parseDashboardQuery(req.query, access.scope);
    res.json(await loadExperienceDashboard(db, filters, access));
  });

  router.get('/metrics/cases', allowScopes('read'), async (req, res) => {
    const access = await keyUnits(res);
    const { filters } = parseDashboardQuery(req.query, access.scope);
    res.json(await loadCaseMetrics(db, filters, access));
  });

  router.get('/metrics/cases/:table.csv', allowScopes('read'), async (req: Request<{ table: string }>, res) => {
    const table = caseTableOf(req.params.table);
    await sendTable(res, db, await caseMetricsExport(db, table, req.query, await keyUnits(res)));
  });

  router.get('/metrics/journeys', allowScopes('read'), async (req, res) => {
    res.json(await loadJourneys(db, journeySince(req.query), await keyUnits(res)));
  });

  router.get(
    '/metrics/journeys/:programId.csv',
    allowScopes('read'),
    async (req: Request<{ programId: string }>, res) => {
      await sendTable(res, db, await journeyExport(db, req.params.programId, req.query, await keyUnits(res)));
    },
  );

  router.get('/metrics/journeys/:programId', allowScopes('read'), async (req: Request<{ programId: string }>, res) => {
    res.json(await loadJourney(db, req.params.programId, journeySince(req.query), await keyUnits(res)));
  });

  router.get('/root-causes/:cause/fixes.csv', allowScopes('read'), async (req: Request<{ cause: string }>, res) => {
    await sendTable(res, db, await rootCauseFixesExport(db, req.params.cause, await keyUnits(res)));
  });

  router.get('/root-causes/:cause', allowScopes('read'), async (req: Request<{ cause: string }>, res) => {
    res.json(await loadRootCause(db, req.params.cause, await keyUnits(res)));
  });

  router.post(
    '/root-causes/:cause/fixes',
    allowScopes('write'),
    json('16kb'),
    async (req: Request<{ cause: string }>, res) => {
      const fix = parseInput(ZFixInput, req.body, 'fix');
      const outcome = await markFixed(db, loop, req.params.cause, fix, apiActor(res.locals.apiKey));
      res.status(outcome.created ? 201 : 200).json(outcome);
    },
  );

  router.get('/metrics/quadrants', allowScopes('read'), async (req, res) => {
    res.json(await loadQuadrants(db, sinceMonth(req.query), await keyUnits(res)));
  });

  router.get('/metrics/quadrants/accounts.csv', allowScopes('read'), async (req, res) => {
    await sendTable(res, db, await quadrantAccountsExport(db, req.query, await keyUnits(res)));
  });

  router.put('/quadrant-cutoffs', allowScopes('write'), json('4kb'), async (req, res) => {
    res.json(await saveQuadrantCutoffs(db, req.body, apiActor(res.locals.apiKey)));
  });

  router.get('/metrics/experience/:table.csv', allowScopes('read'), async (req: Request<{ table: string }>, res) => {
    const table = dashboardTableOf(req.params.table);
    await sendTable(res, db, await dashboardExport(db, table, req.query, await keyUnits(res)));
  });

  router.post('/customers\\:import', allowScopes('write'), async (req, res) => {
    ensureWholeOrganisation(await keyCustomers(res), 'Importing customers');
    if (!req.is('text/csv')) throw new HttpError(415, 'send the file as text/csv');
    const { importId, map } = parseInput(ZImportOptions, req.query, 'import options');
    const started = await startImport(db, loop, req, {
      actor: apiActor(res.locals.apiKey),
      importId,
      mapping: map,
    });
    await answerImport(req, res, started, `/api/imports/${started.job._id}`);
  });

  router.get('/imports/:id', allowScopes('read'), async (req, res) => {
    ensureWholeOrganisation(await keyCustomers(res), 'An import');
    const id = parseInput(ZExternalId, req.params.id, 'import id');
    const status = await importStatus(db, id);
    if (!status) throw new HttpError(404, `no import ${id}`);
    res.json(status);
  });

  router.get('/imports/:id/errors.csv', allowScopes('read'), async (req, res) => {
    ensureWholeOrganisation(await keyCustomers(res), 'An import');
    const id = parseInput(ZExternalId, req.params.id, 'import id');
    await sendImportErrors(db, res, id);
  });

  router.get('/customers', allowScopes('read'), async (req, res) => {
    const { limit, skip } = pageOf(req.query);
    res.json({ items: await listCustomers(db, { limit, skip }, await keyCustomers(res)), limit, offset: skip });
  });

  router.get('/customers/:id', allowScopes('read'), async (req, res) => {
    const id = parseInput(ZExternalId, req.params.id, 'customer id');
    const detail = await customerDetail(db, id, await keyCustomers(res));
    if (!detail) throw new HttpError(404, `no customer ${id}`);
    const { customer, summary, decisions, invitations, responses } = detail;
    res.json({ customer, summary, decisions, invitations, responses });
  });

  router.put('/programs/:id', allowScopes('write'), json('256kb'), async (req, res) => {
    const program = parseInput(ZProgram, { ...req.body, id: req.params.id }, 'program');
    checkShippedTemplates(templates, program);
    const actor = apiActor(res.locals.apiKey);
    const { outcome, schedule } = await saveProgram(db, loop, program, actor);
    res
      .status(outcome === 'created' ? 201 : 200)
      .json({ ...(await findProgram(db, program.id)), waveSchedule: schedule });
  });

  router.delete('/programs/:id', allowScopes('write'), async (req: Request<{ id: string }>, res) => {
    const programId = req.params.id;
    const schedule = await deleteProgram(db, loop, programId, apiActor(res.locals.apiKey));
    res.json({ deleted: programId, waveSchedule: schedule });
  });

  router.get('/programs', allowScopes('read'), async (req, res) => {
    const { limit, skip } = pageOf(req.query);
    res.json({ items: await listPrograms(db, { limit, skip }), limit, offset: skip });
  });

  router.get('/programs/:id', allowScopes('read'), async (req: Request<{ id: string }>, res) => {
    const program = await findProgram(db, req.params.id);
    if (!program) throw new HttpError(404, `no program ${req.params.id}`);
    res.json(program);
  });

  router.post('/campaigns\\:preview', allowScopes('read'), json('64kb'), async (req, res) => {
    res.json(await previewSegment(db, parseInput(ZCampaignPreview, req.body, 'segment')));
  });

  router.post('/campaigns', allowScopes('write'), json('64kb'), async (req, res) => {
    const input = parseInput(ZCampaignInput, req.body, 'campaign');
    const { created, campaign } = await launchCampaign(db, loop, input, apiActor(res.locals.apiKey));
    res.status(created ? 201 : 200).json(campaign);
  });

  router.get('/campaigns', allowScopes('read'), async (req, res) => {
    const { limit, skip } = pageOf(req.query);
    res.json({ items: await listCampaigns(db, { limit, skip }), limit, offset: skip });
  });

  router.get('/campaigns/:id', allowScopes('read'), async (req: Request<{ id: string }>, res) => {
    res.json(await findCampaign(db, req.params.id));
  });

  router.post(
    '/campaigns/:id/:action',
    allowScopes('write'),
    async (req: Request<{ id: string; action: string }>, res) => {
      const action = parseInput(ZCampaignAction, req.params.action, 'campaign action');
      const actor = apiActor(res.locals.apiKey);
      res.json(await controlCampaign(db, loop, req.params.id, action, actor));
    },
  );

  router.get('/invitations', allowScopes('read'), async (req, res) => {
    const { limit, skip } = pageOf(req.query);
    const filter = typeof req.query.customerId === 'string' ? { customerId: req.query.customerId } : {};
    const items = await listInvitations(db, filter, { limit, skip }, await keyCustomers(res));
    res.json({ items, limit, offset: skip });
  });

  router.get('/responses', allowScopes('read'), async (req, res) => {
    const { limit, skip } = pageOf(req.query);
    const filter: { customerId?: string; programId?: string } = {};
    if (typeof req.query.customerId === 'string') filter.customerId = req.query.customerId;
    if (typeof req.query.programId === 'string') filter.programId = req.query.programId;
    const items = await listReplies(db, filter, { limit, skip }, await keyCustomers(res));
    res.json({ items, limit, offset: skip });
  });

  router.get('/outbox', allowScopes('admin'), async (req, res) => {
    if (!embeddedMail) throw new HttpError(404, 'the outbox exists only with the embedded SMTP sink (SMTP_URL unset)');
    const { limit, skip } = pageOf(req.query);
    const filter = typeof req.query.to === 'string' ? { to: req.query.to } : {};
    const items = await listOutbox(db, filter, { limit, skip }, await keyCustomers(res));
    res.json({
      items: items.map(({ _id, ...m }) => ({ id: _id, ...m })),
      limit,
      offset: skip,
    });
  });

  router.get('/routing', allowScopes('read'), async (_req, res) => {
    const routing = await loadRouting(db);
    if (!routing) throw new HttpError(404, 'no routing yet: an admin sets it with PUT /api/routing');
    res.json(routing);
  });

  router.put('/routing', allowScopes('admin'), json('256kb'), async (req, res) => {
    res.json(await saveRouting(db, req.body, apiActor(res.locals.apiKey)));
  });

  unitApiRoutes(router, { db });
  unitComparisonApiRoutes(router, { db });

  router.get('/cases', allowTeamKeys('read'), async (req, res) => {
    const { limit, skip } = pageOf(req.query);
    const { limit: _l, offset: _o, ...filters } = req.query;
    const scope = await keyCaseScope(res);
    const { items, total } = await listCases(db, caseFilterFrom(filters), { limit, skip }, 'newest', scope);
    res.json({ items, total, limit, offset: skip });
  });

  router.get('/cases/:id', allowTeamKeys('read'), async (req: Request<{ id: string }>, res) => {
    const { case: doc, timeline } = await caseWithTimeline(db, req.params.id, await keyCaseScope(res));
    res.json({ ...doc, sla: slaOf(doc), timeline });
  });

  router.post(
    '/cases/:id/:action',
    allowTeamKeys('write'),
    json('64kb'),
    async (req: Request<{ id: string; action: string }>, res) => {
      const body: unknown = req.body;
      const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
      res.json(
        await actOnCaseInScope(loop.temporal, db, {
          caseId: req.params.id,
          input: { ...fields, action: req.params.action },
          actor: { id: apiActor(res.locals.apiKey), canReassign: true },
          scope: await keyCaseScope(res),
          requestId: req.get('idempotency-key'),
          requestIdFrom: 'request',
        }),
      );
    },
  );

  router.get('/users', allowScopes('admin'), async (req, res) => {
    const page = pageOf(req.query);
    res.json({ items: await listUsers(db, page), limit: page.limit, offset: page.skip });
  });

  router.post('/users', allowScopes('admin'), json('16kb'), async (req, res) => {
    const input = parseInput(ZUserInput, req.body, 'user');
    const user = await createUser(db, input, apiActor(res.locals.apiKey));
    await syncPersonDigest(db, loop, input.email);
    res.status(201).json(user);
  });

  router.post('/users/:id', allowScopes('admin'), json('16kb'), async (req: Request<{ id: string }>, res) => {
    const change = parseInput(ZUserChange, req.body, 'change');
    const userId = req.params.id.toLowerCase();
    const user = await changeUser(db, apiActor(res.locals.apiKey), userId, change);
    if (CHANGES_DIGEST_SCHEDULE.includes(change.action)) await syncPersonDigest(db, loop, userId);
    res.json(user);
  });

  router.get('/webhooks', allowScopes('admin'), async (_req, res) => {
    res.json({ items: await listWebhooks(db) });
  });

  router.post('/webhooks', allowScopes('admin'), json('16kb'), async (req, res) => {
    const input = parseInput(ZWebhookInput, req.body, 'webhook');
    res.status(201).json(await createWebhook(db, input, apiActor(res.locals.apiKey), webhookAllowList));
  });

  router.delete('/webhooks/:id', allowScopes('admin'), async (req: Request<{ id: string }>, res) => {
    await deleteWebhook(db, req.params.id, apiActor(res.locals.apiKey));
    res.status(204).end();
  });

  router.get('/keys', allowScopes('admin'), async (req, res) => {
    const page = pageOf(req.query);
    res.json({ items: await listApiKeys(db, page), limit: page.limit, offset: page.skip });
  });

  router.post('/keys', allowScopes('admin'), json('8kb'), async (req, res) => {
    const input = parseInput(ZApiKeyInput, req.body, 'API key');
    res.status(201).json(await createApiKey(db, input, apiActor(res.locals.apiKey)));
  });

  router.delete('/keys/:id', allowScopes('admin'), async (req: Request<{ id: string }>, res) => {
    await revokeApiKey(db, req.params.id, apiActor(res.locals.apiKey));
    res.status(204).end();
  });

  return router;
}
