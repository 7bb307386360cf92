import express, { type Request, type Response, Router } from 'express';
import type { Db } from 'mongodb';
import * as c from '../../db/collections';
import { localize } from '../../domain/program';
import { ALL_SEGMENT, rollupDay, summarizeRollups } from '../../domain/rollup';
import type { Templates } from '../../mail/templates';
import { type Sessions, requireUser, verifyPassword } from '../auth';
import { HttpError } from '../errors';

export interface AdminDeps {
  db: Db;
  templates: Templates;
  sessions: Sessions;
  embeddedMail: boolean;
  secureCookies: boolean;
}

/** Only same-site relative paths, so the login cannot redirect elsewhere. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(\/|$)/.test(next) && !next.startsWith('//') ? next : '/admin/customers';
}

/** The admin UI for operations and case owners, behind a signed session cookie. */
export function adminRouter({ db, templates, sessions, embeddedMail, secureCookies }: AdminDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '20kb' });
  const page = (res: Response, name: string, context: Record<string, unknown>) =>
    templates.page(name, { ...context, admin: true, embeddedMail, user: res.locals.user });

  router.get('/login', (req, res) => {
    res.type('html').send(page(res, 'login', { title: 'Sign in', next: safeNext(req.query.next) }));
  });

  router.post('/login', form, async (req, res) => {
    const email = String(req.body?.email ?? '')
      .trim()
      .toLowerCase();
    const password = String(req.body?.password ?? '');
    const user = email ? await c.users(db).findOne({ _id: email }) : null;
    if (!user || !(await verifyPassword(password, user.passwordHash))) {
      res
        .status(401)
        .type('html')
        .send(
          page(res, 'login', {
            title: 'Sign in',
            next: safeNext(req.body?.next),
            email,
            error: 'Wrong email or password.',
          }),
        );
      return;
    }
    res.cookie(sessions.cookieName, sessions.issue(user._id), {
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookies,
      maxAge: sessions.ttlMs,
      path: '/',
    });
    res.redirect(303, safeNext(req.body?.next));
  });

  router.post('/logout', (_req, res) => {
    res.clearCookie(sessions.cookieName, { path: '/' });
    res.redirect(303, '/admin/login');
  });

  router.use(requireUser(db, sessions));

  router.get('/', (_req, res) => res.redirect(303, '/admin/customers'));

  router.get('/customers', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const filter = q ? { $or: [{ _id: q }, { email: q.toLowerCase() }] } : {};
    const list = await c.customers(db).find(filter).sort({ updatedAt: -1 }).limit(100).toArray();
    const scores = await c.summaryScores(
      db,
      list.map((cu) => cu._id),
    );
    res.type('html').send(
      page(res, 'customers', {
        title: 'Customers',
        q,
        customers: list.map((cu) => ({ ...cu, summary: scores.get(cu._id) })),
      }),
    );
  });

  router.get('/customers/:id', async (req: Request<{ id: string }>, res) => {
    const customer = await c.customers(db).findOne({ _id: req.params.id });
    if (!customer) throw new HttpError(404, `No customer ${req.params.id}.`);
    const [decisions, invitations, replies] = await Promise.all([
      c.contactDecisions(db).find({ customerId: customer._id }).sort({ decidedAt: -1 }).limit(100).toArray(),
      c.invitations(db).find({ customerId: customer._id }).sort({ createdAt: -1 }).limit(100).toArray(),
      c.responses(db).find({ customerId: customer._id }).sort({ submittedAt: -1 }).limit(100).toArray(),
    ]);
    const programIds = [...new Set(replies.map((r) => r.programId))];
    const programsById = new Map(
      (
        await c
          .programs(db)
          .find({ _id: { $in: programIds } })
          .toArray()
      ).map((p) => [p._id, p]),
    );
    res.type('html').send(
      page(res, 'customer', {
        title: customer.name ?? customer._id,
        customer,
        summary: (await c.summaryScores(db, [customer._id])).get(customer._id),
        attributes: Object.entries(customer.attributes ?? {}).map(([key, value]) => ({ key, value })),
        decisions,
        invitations,
        replies: replies.map((r) => ({ ...r, answerList: answerList(r, programsById.get(r.programId)) })),
      }),
    );
  });

  router.get('/programs', async (_req, res) => {
    const list = await c.programs(db).find().sort({ _id: 1 }).toArray();
    res.type('html').send(page(res, 'programs', { title: 'Survey programs', programs: list }));
  });

  router.get('/programs/:id', async (req: Request<{ id: string }>, res) => {
    const program = await c.programs(db).findOne({ _id: req.params.id });
    if (!program) throw new HttpError(404, `No program ${req.params.id}.`);
    const days = Math.min(Math.max(Number(req.query.days ?? 30) || 30, 1), 366);
    const since = rollupDay(Date.now() - (days - 1) * 86_400_000);
    const docs = await c
      .rollups(db)
      .find({ programId: program._id, day: { $gte: since } }, { projection: { replyIds: 0 } })
      .toArray();
    const bySegment = new Map<string, typeof docs>();
    for (const doc of docs) bySegment.set(doc.segment, [...(bySegment.get(doc.segment) ?? []), doc]);
    const segments = [...bySegment.entries()]
      .filter(([segment]) => segment !== ALL_SEGMENT)
      .map(([segment, list]) => ({ segment, ...summarizeRollups(list) }))
      .sort((a, b) => a.segment.localeCompare(b.segment));
    const { _id, createdAt, updatedAt, ...definition } = program;
    res.type('html').send(
      page(res, 'program', {
        title: program.name,
        program,
        id: _id,
        days,
        overall: summarizeRollups(bySegment.get(ALL_SEGMENT) ?? []),
        segments,
        definition,
        createdAt,
        updatedAt,
      }),
    );
  });

  router.get('/outbox', async (_req, res) => {
    if (!embeddedMail) throw new HttpError(404, 'The outbox exists only with the embedded SMTP sink.');
    const messages = await c.sinkMessages(db).find().sort({ receivedAt: -1 }).limit(200).toArray();
    res.type('html').send(page(res, 'outbox', { title: 'Outbox', messages }));
  });

  router.get('/outbox/:id', async (req: Request<{ id: string }>, res) => {
    if (!embeddedMail) throw new HttpError(404, 'The outbox exists only with the embedded SMTP sink.');
    const message = await c.sinkMessages(db).findOne({ _id: req.params.id });
    if (!message) throw new HttpError(404, 'No such message.');
    res.type('html').send(
      page(res, 'outbox-message', {
        title: message.subject,
        message,
        headers: Object.entries(message.headers).map(([name, value]) => ({ name, value })),
      }),
    );
  });

  return router;
}

/** A reply's answers in the survey's question order, labelled as the customer saw them. */
function answerList(reply: c.ResponseDoc, program: c.ProgramDoc | undefined) {
  const questions = program?.survey.questions ?? [];
  const ordered = [
    ...questions.map((q) => q.id),
    ...Object.keys(reply.answers).filter((id) => !questions.some((q) => q.id === id)),
  ];
  return ordered
    .filter((id) => reply.answers[id] !== undefined)
    .map((id) => {
      const question = questions.find((q) => q.id === id);
      const value = reply.answers[id]!;
      return {
        question: question ? localize(question.label, program!.defaultLocale) : id,
        value: Array.isArray(value) ? value.join(', ') : value,
      };
    });
}
