import type { Client } from '@temporalio/client';
import express, { type Request, type Response, Router } from 'express';
import type { Db } from 'mongodb';
import * as c from '../../db/collections';
import { alertRoutes } from './admin-alerts';
import { caseMetricsRoutes } from './admin-case-metrics';
import { journeyRoutes } from './admin-journeys';
import { rootCauseRoutes } from './admin-root-causes';
import type { Templates } from '../../mail/templates';
import { ROLES, type Role, roleGrants } from '../../domain/access';
import { allowPublic, allowRoles } from '../access';
import { openApiDocument } from '../openapi-document';
import { apiReference } from '../api-reference';
import { type SignedInUser, destroySession, requireUser } from '../auth';
import { authenticate } from '../../app/people';
import { findOutboxMessage, listOutbox, outboxHtml } from '../../app/outbox';
import { listPrograms } from '../../app/programs';
import { HttpError } from '../errors';
import { LOGIN_THROTTLED, type LimitDeps, type LoginThrottle, loginSourceLimit } from '../rate-limits';
import { type LoginCsrf, csrf } from '../sessions';
import { peopleRoutes } from './admin-people';
import { frontlineRoutes } from './admin-frontline';
import { unitComparisonRoutes, unitRoutes } from './admin-units';
import { auditRoutes, caseRoutes } from './admin-cases';
import { campaignRoutes } from './admin-campaigns';
import { insightRoutes, quadrantRoutes } from './admin-insight';
import { EMAIL_PREVIEW_CSP, PROGRAM_EDITOR_PATHS, programEditorRoutes } from './admin-programs';
import { programReport } from '../../app/programs';
import { customerAccessOf, customerPage, eraseCustomer, searchCustomers } from '../../app/customers';
import { exportScopeOf } from '../../app/bulk-exports';
import { personalDataViewFor } from '../personal-data';
import { ROLES_SEEING_ALL_CUSTOMERS } from '../../domain/personal-data';
import { addExportRoutes, sendImportErrors } from '../exports';
import { ZImportOptions, importStatus, startImport } from '../../app/imports';
import { answerImport } from '../imports';
import { parseInput } from '../../app/validation';
import type { LoopSettings } from '../../temporal/loop-client';
import type { Mailer } from '../../mail/mailer';
import type { AllowList } from '../../domain/webhook-destination';

export interface AdminDeps {
  db: Db;
  temporal: Client;
  loop: LoopSettings;
  templates: Templates;
  embeddedMail: boolean;
  loginLimits: LimitDeps;
  loginThrottle: LoginThrottle;
  loginCsrf: LoginCsrf;
  cookieName: string;
  mailer: Mailer;
  mailFrom: string;
  publicBaseUrl: string;
  webhookAllowList: AllowList;
}

/** Where `?next=` is resolved; only its path matters. */
const APP_ORIGIN = 'http://app.invalid';

/**
 * Where to go after sign-in: only a path of this app under /admin. Anything else — another
 * origin (`https://…`, `//evil`, `/\evil`), a backslash or control character a browser might
 * read differently, or dot segments (also percent-encoded) that leave /admin — goes to /admin.
 */
function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 500 || !/^\/admin(?:[/?#]|$)/.test(next)) return '/admin';
  // Printable ASCII only (anything else arrives percent-encoded from a real link), no backslash.
  if (/[^!-~]/.test(next) || next.includes('\\')) return '/admin';
  const url = new URL(next, APP_ORIGIN);
  const inside = url.origin === APP_ORIGIN && /^\/admin(?:\/|$)/.test(url.pathname);
  return inside ? next : '/admin';
}

/** Who sees which admin page; the same lists guard the routes and build the navigation. */
const CAN = {
  dashboard: ['admin', 'operations', 'case_owner', 'viewer'],
  quadrants: ['admin', 'operations', 'case_owner', 'viewer'],
  caseMetrics: ['admin', 'operations', 'case_owner', 'viewer'],
  journeys: ['admin', 'operations', 'case_owner', 'viewer'],
  cases: ['admin', 'operations', 'case_owner'],
  customers: ['admin', 'operations', 'case_owner'],
  programs: ['admin', 'operations', 'case_owner', 'viewer'],
  campaigns: ['admin', 'operations'],
  outbox: ['admin'],
  teams: ['admin', 'operations', 'case_owner'],
  units: ['admin', 'operations'],
  compareUnits: ['admin', 'operations', 'case_owner', 'viewer'],
  alerts: ['admin', 'operations', 'case_owner', 'viewer'],
  users: ['admin'],
  keys: ['admin'],
  webhooks: ['admin'],
  audit: ['admin'],
  // The people who set up integrations: admins create the keys, operations the programs they feed.
  api: ['admin', 'operations'],
  // Their own figures: frontline people, and case owners the events also name (a frontline ID).
  myFeedback: ['frontline', 'case_owner'],
} satisfies Record<string, Role[]>;
const EVERYONE: Role[] = [...ROLES];
/** Who may create and edit programs (everyone in CAN.programs may look at them). */
const PROGRAM_EDITORS: Role[] = ['admin', 'operations'];
/** Who may import customers (not in CAN: it has no navigation entry of its own). */
const IMPORTERS: Role[] = ['admin', 'operations'];

/** The first page a role may open. */
const homeOf = (role: Role) =>
  roleGrants(role, CAN.cases) ? '/admin/cases' : role === 'frontline' ? '/admin/my-feedback' : '/admin/programs';

/** The admin UI for operations and case owners, behind a server-side session. */
export function adminRouter({
  db,
  temporal,
  loop,
  templates,
  embeddedMail,
  loginLimits,
  loginThrottle,
  loginCsrf,
  cookieName,
  mailer,
  mailFrom,
  publicBaseUrl,
  webhookAllowList,
}: AdminDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '20kb', parameterLimit: 50 });
  // The program editor posts a whole program: as large as `PUT /api/programs/:id` allows.
  const programForm = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 200 });
  const page = (req: Request, res: Response, name: string, context: Record<string, unknown>) => {
    const user = res.locals.user as SignedInUser | undefined;
    const role = user?.role;
    const nav = Object.entries(CAN)
      .filter(([item, roles]) => roleGrants(role, roles) && (item !== 'outbox' || embeddedMail))
      .filter(([item]) => item !== 'myFeedback' || role === 'frontline' || user?.frontlineId)
      .map(([item]) => item);
    return templates.page(name, {
      ...context,
      admin: true,
      nav,
      user: res.locals.user,
      // The sign-in page brings its own (session-less) token; other pages use the session's.
      csrfToken: context.csrfToken ?? csrf.generateToken(req),
    });
  };
  const send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status = 200) =>
    res
      .status(status)
      .type('html')
      .send(page(req, res, name, context));

  const signInPage = (req: Request, res: Response, fields: Record<string, unknown>, status = 200) =>
    send(req, res, 'login', { title: 'Sign in', csrfToken: loginCsrf.issue(req, res), ...fields }, status);

  // Nothing is stored for this page: its CSRF token is bound to a pre-session cookie (LoginCsrf).
  router.get('/login', allowPublic('the sign-in page'), (req, res) => {
    signInPage(req, res, { next: safeNext(req.query.next) });
  });

  router.post(
    '/login',
    allowPublic('sign-in: CSRF token bound to a pre-session cookie, throttled per account and source'),
    form,
    loginCsrf.protect,
    loginSourceLimit(loginLimits),
    async (req, res) => {
      const email = String(req.body?.email ?? '')
        .trim()
        .toLowerCase()
        .slice(0, 254);
      const password = String(req.body?.password ?? '').slice(0, 1000);
      const next = safeNext(req.body?.next);
      const wait = await loginThrottle.attempt(email, req);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        signInPage(req, res, { next, email, error: LOGIN_THROTTLED }, 429);
        return;
      }
      const user = await authenticate(db, email, password);
      if (!user) {
        await loginThrottle.failed(email, req);
        signInPage(req, res, { next, email, error: 'Wrong email or password.' }, 401);
        return;
      }
      await loginThrottle.succeeded(email, req);
      await signIn(req, user);
      loginCsrf.clear(res);
      res.redirect(303, req.body?.next ? next : homeOf(user.role));
    },
  );

  router.use(requireUser(db));
  // Every state-changing request below needs the session's CSRF token.
  router.use(
    (req, res, next) =>
      (req.method === 'POST' && PROGRAM_EDITOR_PATHS.test(req.path) ? programForm : form)(req, res, next),
    csrf.csrfSynchronisedProtection,
  );

  router.post('/logout', allowRoles(...EVERYONE), async (req, res) => {
    await destroySession(req);
    res.clearCookie(cookieName, { path: '/' });
    res.redirect(303, '/admin/login');
  });

  router.get('/', allowRoles(...EVERYONE), (_req, res) => res.redirect(303, homeOf(res.locals.user.role)));

  router.get('/customers', allowRoles(...CAN.customers), async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const view = personalDataViewFor(res);
    const { scoped, customers } = await searchCustomers(db, q, await customerAccessOf(db, res.locals.user));
    send(req, res, 'customers', {
      title: 'Customers',
      canImport: roleGrants(res.locals.user.role, IMPORTERS),
      canExportAll: view.bulkExports,
      scoped,
      q,
      customers,
    });
  });

  router.get('/customers/import', allowRoles(...IMPORTERS), (req, res) =>
    send(req, res, 'import', { title: 'Import customers' }),
  );

  router.post('/customers/import', allowRoles(...IMPORTERS), async (req, res) => {
    if (!req.is('text/csv')) throw new HttpError(415, 'send the file as text/csv');
    const { importId, map } = parseInput(ZImportOptions, req.query, 'import options');
    const actor = (res.locals.user as SignedInUser).email;
    const started = await startImport(db, loop, req, { actor, importId, mapping: map });
    await answerImport(req, res, started, `/admin/imports/${started.job._id}`);
  });

  router.get('/imports/:id', allowRoles(...IMPORTERS), async (req: Request<{ id: string }>, res) => {
    const status = await importStatus(db, req.params.id);
    if (!status) throw new HttpError(404, `No import ${req.params.id}.`);
    res.json(status);
  });

  router.get('/imports/:id/errors.csv', allowRoles(...IMPORTERS), (req: Request<{ id: string }>, res) =>
    sendImportErrors(db, res, req.params.id),
  );

  router.get('/customers/:id', allowRoles(...CAN.customers), async (req: Request<{ id: string }>, res) => {
    const detail = await customerPage(db, req.params.id, await customerAccessOf(db, res.locals.user));
    if (!detail) throw new HttpError(404, `No customer ${req.params.id}.`);
    const { customer, summary, decisions, invitations, replies } = detail;
    send(req, res, 'customer', {
      title: customer.name ?? customer._id,
      customer,
      canErase: roleGrants(res.locals.user.role, ['admin']) && !customer.erasedAt,
      summary: summary ?? undefined,
      attributes: Object.entries(customer.attributes ?? {}).map(([key, value]) => ({ key, value })),
      decisions,
      invitations,
      replies,
    });
  });

  addExportRoutes(router, db, {
    bulk: allowRoles(...ROLES_SEEING_ALL_CUSTOMERS),
    cases: allowRoles(...CAN.cases),
    scopeOf: (res) => exportScopeOf(db, res.locals.user as SignedInUser),
  });

  // Irreversible: the admin types the customer's ID to confirm (works without JavaScript).
  router.post('/customers/:id/erase', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    const confirmation = (req.body as Record<string, unknown> | undefined)?.confirm;
    if (confirmation !== req.params.id)
      throw new HttpError(400, 'To erase this customer, type their ID exactly into the confirmation field.');
    await eraseCustomer(db, loop, req.params.id, (res.locals.user as SignedInUser).email);
    res.redirect(303, `/admin/customers/${encodeURIComponent(req.params.id)}`);
  });

  insightRoutes(router, { db, send, roles: CAN.dashboard });
  quadrantRoutes(router, {
    db,
    send,
    roles: CAN.quadrants,
    editors: PROGRAM_EDITORS,
    campaigners: CAN.campaigns,
  });
  caseMetricsRoutes(router, { db, send, roles: CAN.caseMetrics });
  journeyRoutes(router, { db, send, roles: CAN.journeys });
  rootCauseRoutes(router, { db, loop, send, roles: CAN.caseMetrics, fixers: CAN.campaigns });

  // Before `/programs/:id`, which would take `/programs/new`.
  programEditorRoutes(router, { db, loop, templates, mailer, mailFrom, publicBaseUrl, send, roles: PROGRAM_EDITORS });

  router.get('/programs', allowRoles(...CAN.programs), async (req, res) => {
    const list = await listPrograms(db);
    send(req, res, 'programs', {
      title: 'Survey programs',
      programs: list,
      canEdit: roleGrants(res.locals.user.role, PROGRAM_EDITORS),
    });
  });

  router.get('/programs/:id', allowRoles(...CAN.programs), async (req: Request<{ id: string }>, res) => {
    const days = Math.min(Math.max(Number(req.query.days ?? 30) || 30, 1), 366);
    const report = await programReport(db, req.params.id, days);
    if (!report) throw new HttpError(404, `No program ${req.params.id}.`);
    const { program, overall, segments } = report;
    const { _id, createdAt, updatedAt, versionId, ...definition } = program;
    void versionId;
    send(req, res, 'program', {
      title: program.name,
      canEdit: roleGrants(res.locals.user.role, PROGRAM_EDITORS),
      program,
      id: _id,
      days,
      overall,
      segments,
      definition,
      createdAt,
      updatedAt,
    });
  });

  router.get('/api', allowRoles(...CAN.api), (req, res) =>
    send(req, res, 'api-reference', { title: 'API reference', ...apiReference(openApiDocument(), publicBaseUrl) }),
  );

  router.get('/outbox', allowRoles(...CAN.outbox), async (req, res) => {
    if (!embeddedMail) throw new HttpError(404, 'The outbox exists only with the embedded SMTP sink.');
    const messages = await listOutbox(db, {}, { limit: 200, skip: 0 });
    send(req, res, 'outbox', { title: 'Outbox', messages });
  });

  router.get('/outbox/:id', allowRoles(...CAN.outbox), async (req: Request<{ id: string }>, res) => {
    if (!embeddedMail) throw new HttpError(404, 'The outbox exists only with the embedded SMTP sink.');
    const message = await findOutboxMessage(db, req.params.id);
    if (!message) throw new HttpError(404, 'No such message.');
    send(req, res, 'outbox-message', {
      title: message.subject,
      message,
      headers: Object.entries(message.headers).map(([name, value]) => ({ name, value })),
    });
  });

  // The email's own HTML, framed by the message page: sandboxed, no scripts, only same-origin framing.
  router.get('/outbox/:id/html', allowRoles(...CAN.outbox), async (req: Request<{ id: string }>, res) => {
    if (!embeddedMail) throw new HttpError(404, 'The outbox exists only with the embedded SMTP sink.');
    const message = await outboxHtml(db, req.params.id);
    if (!message) throw new HttpError(404, 'No such message.');
    res
      .set('Content-Security-Policy', EMAIL_PREVIEW_CSP)
      .set('X-Frame-Options', 'SAMEORIGIN')
      .type('html')
      .send(message.html);
  });

  peopleRoutes(router, { db, loop, send, everyone: EVERYONE, webhookAllowList });
  unitRoutes(router, { db, send, roles: CAN.units });
  unitComparisonRoutes(router, { db, send, roles: CAN.compareUnits });
  alertRoutes(router, { db, send, roles: CAN.alerts, webhookAllowList });
  caseRoutes(router, { db, temporal, send, roles: CAN.cases });
  auditRoutes(router, { db, send, roles: CAN.audit });
  campaignRoutes(router, { db, loop, send, roles: CAN.campaigns });
  frontlineRoutes(router, { db, send, roles: CAN.myFeedback });

  return router;
}

/** The only place a session is created (express-session's `saveUninitialized: false`). */
async function signIn(req: Request, user: c.UserDoc): Promise<void> {
  // A new session ID at sign-in, so a session fixed before it is worthless.
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  req.session.userId = user._id;
  req.session.authVersion = user.authVersion ?? 0;
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}
