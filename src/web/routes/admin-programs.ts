import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import { PROGRAM_KINDS, type TProgram, type TProgramInput, ZProgram } from '../../domain/program';
import { QUESTION_TYPES } from '../../domain/survey-schema';
import { renderInvitationEmail } from '../../mail/invitation-email';
import type { Mailer } from '../../mail/mailer';
import type { Templates } from '../../mail/templates';
import { allowRoles } from '../access';
import type { SignedInUser } from '../auth';
import { AppError } from '../../app/errors';
import { HttpError } from '../errors';
import type { LoopSettings } from '../../temporal/loop-client';
import { checkShippedTemplates, findProgram, sampleCustomer, saveProgram, setProgramActive } from '../../app/programs';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;
type FormBody = Record<string, string | string[] | undefined>;

const one = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
const list = (value: string | string[] | undefined) =>
  one(value)
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** Parts of a program edited as JSON in the editor (the survey has a builder on top of its JSON). */
const JSON_FIELDS = ['survey', 'contactRules', 'caseRules', 'caseHandling', 'themes', 'sender'] as const;
const LOCALIZED_EMAIL_FIELDS = ['subject', 'intro', 'why'] as const;
const AUDIENCE_ROWS = 3;

/** The page that gets the editor's larger form (a survey of 50 questions in 20 locales). */
export const PROGRAM_EDITOR_PATHS = /^\/programs(\/[^/]+(\/(preview|test-email))?)?$/;

interface ParsedForm {
  input: Record<string, unknown>;
  errors: Record<string, string>;
}

/** The editor's fields as the API's program input, so that the same schema judges both. */
export function programFromForm(body: FormBody, locales: string[]): ParsedForm {
  const errors: Record<string, string> = {};
  const json = (field: (typeof JSON_FIELDS)[number]) => {
    const text = one(body[field]).trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      errors[field] = `not valid JSON: ${(err as Error).message}`;
      return undefined;
    }
  };
  const localized = (field: (typeof LOCALIZED_EMAIL_FIELDS)[number]) => {
    const texts = Object.fromEntries(
      locales.map((locale) => [locale, one(body[`${field}.${locale}`]).trim()]).filter(([, text]) => text),
    );
    return Object.keys(texts).length ? texts : undefined;
  };
  const audience = Object.fromEntries(
    Array.from({ length: AUDIENCE_ROWS }, (_, i) => [
      one(body[`audience${i}Name`]).trim(),
      list(body[`audience${i}Values`]),
    ])
      .filter(([name]) => name)
      .map(([name, values]) => [name, values]),
  );
  const kind = one(body.kind);
  const input: Record<string, unknown> = {
    id: one(body.id),
    name: one(body.name),
    kind,
    active: one(body.active) === 'on',
    triggers: list(body.triggers),
    delay: one(body.delay) || undefined,
    audience,
    reminders: list(body.reminders),
    expiresAfter: one(body.expiresAfter) || undefined,
    defaultLocale: one(body.defaultLocale) || undefined,
    email: {
      template: one(body.emailTemplate) || undefined,
      subject: localized('subject'),
      intro: localized('intro'),
      ...(localized('why') ? { why: localized('why') } : {}),
    },
  };
  if (kind === 'relationship')
    input.cadence = {
      cycle: one(body.cycle),
      runAt: one(body.runAt) || undefined,
      timezone: one(body.timezone) || undefined,
      missedDays: one(body.missedDays) || undefined,
    };
  for (const field of JSON_FIELDS) {
    const value = json(field);
    if (value !== undefined) input[field] = value;
  }
  if (input.caseRules === undefined) input.caseRules = [];
  return { input, errors };
}

/** The schema's complaints, each under the editor field it belongs to. */
function schemaErrors(issues: { path: PropertyKey[]; message: string }[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const [first, ...rest] = issue.path.map(String);
    // email.subject → emailSubject: the editor's name for the field.
    const field =
      first === 'email' && rest[0] ? `email${rest[0][0]!.toUpperCase()}${rest[0].slice(1)}` : (first ?? 'form');
    const where = first === 'email' ? rest.slice(1) : rest;
    const message = where.length ? `${where.join('.')}: ${issue.message}` : issue.message;
    errors[field] = errors[field] ? `${errors[field]}; ${message}` : message;
  }
  return errors;
}

/** The editor's field values for a stored program. */
function formValues(program: TProgram, locales: string[]): FormBody {
  const values: FormBody = {
    id: program.id,
    name: program.name,
    kind: program.kind,
    active: program.active ? 'on' : '',
    triggers: program.triggers.join(', '),
    delay: program.delay,
    reminders: program.reminders.join(', '),
    expiresAfter: program.expiresAfter,
    defaultLocale: program.defaultLocale,
    emailTemplate: program.email.template,
    cycle: program.cadence?.cycle ?? '',
    runAt: program.cadence?.runAt ?? '',
    timezone: program.cadence?.timezone ?? '',
    missedDays: program.cadence?.missedDays ?? 'catch-up',
  };
  Object.entries(program.audience).forEach(([name, allowed], i) => {
    values[`audience${i}Name`] = name;
    values[`audience${i}Values`] = allowed.join(', ');
  });
  for (const field of LOCALIZED_EMAIL_FIELDS) {
    const text = program.email[field];
    for (const locale of locales)
      values[`${field}.${locale}`] =
        typeof text === 'string' ? (locale === program.defaultLocale ? text : '') : (text?.[locale] ?? '');
  }
  for (const field of JSON_FIELDS)
    values[field] = program[field] === undefined ? '' : JSON.stringify(program[field], null, 2);
  return values;
}

const NEW_PROGRAM: TProgramInput = {
  id: 'new',
  name: 'New program',
  kind: 'transactional',
  triggers: ['purchase'],
  survey: {
    questions: [
      { id: 'nps', type: 'nps', required: true, label: 'How likely are you to recommend us to a friend or colleague?' },
    ],
  },
  email: { subject: 'How did we do?', intro: 'Thank you for your business. One question, one click.' },
};

export interface ProgramEditorDeps {
  db: Db;
  loop: LoopSettings;
  templates: Templates;
  mailer: Mailer;
  mailFrom: string;
  publicBaseUrl: string;
  send: Send;
  roles: Role[];
}

/**
 * The program editor for operations: every field of a program of any kind, the survey builder,
 * errors from the API's own schema next to their fields, an email preview for a sample customer
 * and a test email to oneself. Saving goes through the same service as `PUT /api/programs/:id`
 * (audit before/after, the relationship schedule, a new version for new invitations).
 */
export function programEditorRoutes(router: Router, deps: ProgramEditorDeps): void {
  const { db, loop, templates, send, roles } = deps;
  const locales = [...templates.pageLocales].sort();

  const editorPage = (
    req: Request,
    res: Response,
    context: { isNew: boolean; values: FormBody; errors?: Record<string, string> },
    status = 200,
  ) =>
    send(
      req,
      res,
      'program-edit',
      {
        title: context.isNew ? 'New program' : `Edit ${one(context.values.name) || one(context.values.id)}`,
        ...context,
        kinds: PROGRAM_KINDS.map((kind) => ({ value: kind, selected: one(context.values.kind) === kind })),
        locales: locales.map((locale) => ({
          locale,
          fields: LOCALIZED_EMAIL_FIELDS.map((field) => ({
            field,
            name: `${field}.${locale}`,
            value: one(context.values[`${field}.${locale}`]),
          })),
        })),
        audienceRows: Array.from({ length: AUDIENCE_ROWS }, (_, i) => ({
          index: i,
          name: one(context.values[`audience${i}Name`]),
          values: one(context.values[`audience${i}Values`]),
        })),
        questionTypes: QUESTION_TYPES,
        errors: context.errors ?? {},
      },
      status,
    );

  /** The form as a valid program, or the editor again with the errors next to their fields. */
  const validProgram = (body: FormBody): { program?: TProgram; errors: Record<string, string> } => {
    const { input, errors } = programFromForm(body, locales);
    const parsed = ZProgram.safeParse(input);
    if (!parsed.success) return { errors: { ...schemaErrors(parsed.error.issues), ...errors } };
    if (Object.keys(errors).length) return { errors };
    try {
      checkShippedTemplates(templates, parsed.data);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { errors: { emailTemplate: err.message } };
    }
    return { program: parsed.data, errors };
  };

  router.get('/programs/new', allowRoles(...roles), (req, res) =>
    editorPage(req, res, {
      isNew: true,
      values: formValues(ZProgram.parse({ ...NEW_PROGRAM, id: `program-${randomUUID().slice(0, 8)}` }), locales),
    }),
  );

  router.get('/programs/:id/edit', allowRoles(...roles), async (req: Request<{ id: string }>, res) => {
    const stored = await findProgram(db, req.params.id);
    if (!stored) throw new HttpError(404, `No program ${req.params.id}.`);
    editorPage(req, res, { isNew: false, values: formValues(stored, locales) });
  });

  router.post('/programs', allowRoles(...roles), (req, res) => save(req, res, true));
  router.post('/programs/:id', allowRoles(...roles), (req: Request<{ id: string }>, res) => save(req, res, false));

  async function save(req: Request, res: Response, isNew: boolean) {
    const body = req.body as FormBody;
    if (!isNew) body.id = req.params.id as string;
    const { program, errors } = validProgram(body);
    if (!program) return editorPage(req, res, { isNew, values: body, errors }, 422);
    if (isNew && (await findProgram(db, program.id)))
      return editorPage(
        req,
        res,
        { isNew, values: body, errors: { id: `a program ${program.id} exists already` } },
        409,
      );
    await saveProgram(db, loop, program, (res.locals.user as SignedInUser).email);
    res.redirect(303, `/admin/programs/${encodeURIComponent(program.id)}`);
  }

  router.post('/programs/:id/active', allowRoles(...roles), async (req: Request<{ id: string }>, res) => {
    const active = one((req.body as FormBody).active) === 'true';
    const saved = await setProgramActive(db, loop, req.params.id, active, (res.locals.user as SignedInUser).email);
    if (!saved) throw new HttpError(404, `No program ${req.params.id}.`);
    res.redirect(303, `/admin/programs/${encodeURIComponent(req.params.id)}`);
  });

  /** The edited (unsaved) program's invitation, rendered for a customer of its audience, or a made-up one. */
  async function renderPreview(program: TProgram, locale: string) {
    const sample = await sampleCustomer(db, program.audience);
    const link = `${deps.publicBaseUrl}/s/preview`;
    return renderInvitationEmail(templates, program, {
      kind: 'invitation',
      locale,
      name: sample?.name ?? 'Alex Example',
      surveyUrl: link,
      unsubscribeUrl: `${deps.publicBaseUrl}/u/preview`,
    });
  }

  /** Answers into the editor's preview frame: the email itself, or why there is none. */
  const framed = (res: Response, html: string, status = 200) =>
    res
      .status(status)
      .set('Content-Security-Policy', EMAIL_PREVIEW_CSP)
      .set('X-Frame-Options', 'SAMEORIGIN')
      .type('html')
      .send(html);
  const note = (text: string) =>
    `<!doctype html><meta charset="utf-8"><p style="font-family:sans-serif">${escapeHtml(text)}</p>`;
  const previewLocale = (body: FormBody, program: TProgram) => {
    const locale = one(body.previewLocale);
    return locales.includes(locale) ? locale : program.defaultLocale;
  };

  /**
   * The edited (unsaved) program's invitation, rendered in the chosen locale for the editor's
   * preview frame; when the form is not valid yet, the frame says what to fix and `act` is not called.
   */
  const withRenderedEmail =
    (
      act: (
        res: Response,
        program: TProgram,
        email: { subject: string; html: string; text: string },
      ) => Promise<void> | void,
    ) =>
    async (req: Request<{ id: string }>, res: Response) => {
      const body = req.body as FormBody;
      const { program, errors } = validProgram({ ...body, id: req.params.id });
      if (!program) {
        const problems = Object.entries(errors).map(([field, message]) => `${field}: ${message}`);
        framed(res, note(`Fix the form first: ${problems.join('; ')}`), 422);
        return;
      }
      await act(res, program, await renderPreview(program, previewLocale(body, program)));
    };

  router.post(
    '/programs/:id/preview',
    allowRoles(...roles),
    withRenderedEmail((res, _program, email) => {
      framed(res, email.html);
    }),
  );

  router.post(
    '/programs/:id/test-email',
    allowRoles(...roles),
    withRenderedEmail(async (res, program, email) => {
      const to = (res.locals.user as SignedInUser).email;
      try {
        await deps.mailer.send({
          to,
          from: program.sender ? { name: program.sender.name, address: program.sender.email } : deps.mailFrom,
          subject: `[Test] ${email.subject}`,
          html: email.html,
          text: email.text,
          messageId: `<test-${randomUUID()}@cxloop>`,
        });
      } catch (err) {
        // The mail server's own words (an unreachable host, a refused sender) say what to fix.
        framed(res, note(`The test could not be sent: ${(err as Error).message}`), 503);
        return;
      }
      framed(res, note(`A test of "${email.subject}" was sent to ${to}.`));
    }),
  );
}

/** An email's own HTML in a frame of the admin UI (outbox, program editor): its inline styles and images, nothing else. */
export const EMAIL_PREVIEW_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data: https:',
  "frame-ancestors 'self'",
  'sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation',
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
