import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { z } from 'zod';
import { ROLE_LABELS, ROLES, type Role, SCOPES } from '../../domain/access';
import { allowRoles } from '../access';
import type { SignedInUser } from '../auth';
import { AppError } from '../../app/errors';
import { HttpError } from '../errors';
import { loadRouting } from '../../db/routing';
import { loadUnits } from '../../db/units';
import { type Unit, ancestry } from '../../domain/units';
import { saveRouting } from '../../app/routing';
import { createWebhook, deleteWebhook, listWebhooks } from '../../app/webhooks';
import { ZWebhookInput } from '../../domain/webhook-schema';
import type { AllowList } from '../../domain/webhook-destination';
import { WEBHOOK_EVENTS } from '../../domain/webhooks';
import { type Calendar, WEEKDAYS } from '../../domain/business-hours';
import {
  ZApiKeyInput,
  ZPassword,
  ZUserChange,
  ZUserInput,
  changeOwnPassword,
  changeUser,
  createApiKey,
  createUser,
  listApiKeys,
  listUsers,
  revokeApiKey,
} from '../../app/people';
import { CHANGES_DIGEST_SCHEDULE, digestPreferenceOf, setDigestPreference, syncPersonDigest } from '../../app/digests';
import { DIGEST_FREQUENCIES, DIGEST_LOCALES, type DigestFrequency, type DigestPreference } from '../../domain/digest';
import type { LoopSettings } from '../../temporal/loop-client';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

/** Form errors next to their fields: zod issues keyed by the field's name. */
function fieldErrors(error: z.ZodError): Record<string, string> {
  return Object.fromEntries(error.issues.map((i) => [String(i.path[0] ?? 'form'), i.message]));
}

const roleOptions = (selected?: Role) =>
  ROLES.map((role) => ({ value: role, label: ROLE_LABELS[role], selected: role === selected }));

/** Units to pick from, by their path (`Company › EU › Berlin`), with the given ones selected. */
const unitOptions = (units: readonly Unit[], selected: readonly string[]) =>
  units.map((unit) => ({
    value: unit.id,
    label: ancestry(units, unit.id)
      .map((id) => units.find((u) => u.id === id)?.name ?? id)
      .join(' › '),
    selected: selected.includes(unit.id),
  }));

/** A form's repeated field as a list (absent: empty). */
const listField = (value: unknown): string[] => [value ?? []].flat().map(String);

/** Users, API keys and one's own account: managed by admins, except the own password. */
export function peopleRoutes(
  router: Router,
  {
    db,
    loop,
    send,
    everyone,
    webhookAllowList,
  }: { db: Db; loop: LoopSettings; send: Send; everyone: Role[]; webhookAllowList: AllowList },
) {
  const me = (res: Response) => res.locals.user as SignedInUser;

  const usersPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const list = await listUsers(db, { limit: 500, skip: 0 });
    const units = await loadUnits(db);
    const root = units.find((unit) => unit.parentId === null)!.id;
    const entered = (extra.values as { units?: unknown } | undefined)?.units;
    send(
      req,
      res,
      'users',
      {
        title: 'Users',
        users: list.map((u) => ({
          ...u,
          roleLabel: ROLE_LABELS[u.role] ?? u.role,
          roles: roleOptions(u.role),
          // Recorded before units: at the root.
          units: unitOptions(units, u.units ?? [root]),
          unitNames: unitOptions(units, u.units ?? [root])
            .filter((o) => o.selected)
            .map((o) => o.label),
          organisationWide: u.role === 'admin' || u.role === 'operations',
          frontlineId: u.frontlineId ?? '',
          self: u._id === me(res).id,
        })),
        roles: roleOptions((extra.values as { role?: Role } | undefined)?.role ?? 'viewer'),
        // A new person starts at the root, the whole organisation.
        units: unitOptions(units, entered === undefined ? [root] : listField(entered)),
        ...extra,
      },
      status,
    );
  };

  router.get('/users', allowRoles('admin'), (req, res) => usersPage(req, res));

  router.post('/users', allowRoles('admin'), async (req, res) => {
    const { email, name, role, password } = req.body ?? {};
    const values = { ...req.body, units: listField(req.body?.units), password: '' };
    const parsed = ZUserInput.safeParse({ email, name, role, password, units: values.units });
    if (!parsed.success) return usersPage(req, res, { errors: fieldErrors(parsed.error), values }, 422);
    try {
      await createUser(db, parsed.data, me(res).id);
      await syncPersonDigest(db, loop, parsed.data.email);
    } catch (err) {
      // A unit deleted since the form was shown, or an email already taken.
      if (!(err instanceof AppError) || (err.kind !== 'invalid' && err.kind !== 'conflict')) throw err;
      const field = err.kind === 'invalid' ? 'units' : 'email';
      return usersPage(req, res, { errors: { [field]: err.message }, values }, err.kind === 'invalid' ? 422 : 409);
    }
    await usersPage(req, res, { notice: `${parsed.data.email} can now sign in as ${ROLE_LABELS[parsed.data.role]}.` });
  });

  router.post('/users/:id', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    // No unit ticked sends no field: an empty list.
    const parsed = ZUserChange.safeParse(body?.action === 'units' ? { ...body, units: listField(body.units) } : body);
    if (!parsed.success) throw new HttpError(422, `invalid change: ${parsed.error.issues[0]?.message}`);
    await changeUser(db, me(res).id, req.params.id, parsed.data);
    if (CHANGES_DIGEST_SCHEDULE.includes(parsed.data.action)) await syncPersonDigest(db, loop, req.params.id);
    await usersPage(req, res, { notice: `${req.params.id}: ${describeChange(parsed.data)}.` });
  });

  const accountPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    send(
      req,
      res,
      'account',
      {
        title: 'Your account',
        roleLabel: ROLE_LABELS[me(res).role],
        digest: digestChoices(await digestPreferenceOf(db, me(res))),
        ...extra,
      },
      status,
    );

  router.get('/account', allowRoles(...everyone), (req, res) => accountPage(req, res));

  router.post('/account/password', allowRoles(...everyone), async (req, res) => {
    const next = ZPassword.safeParse(req.body?.password);
    if (!next.success) return accountPage(req, res, { errors: { password: next.error.issues[0]?.message } }, 422);
    if (req.body?.password !== req.body?.confirm)
      return accountPage(req, res, { errors: { confirm: 'the two new passwords differ' } }, 422);
    try {
      const authVersion = await changeOwnPassword(db, me(res).id, String(req.body?.current ?? ''), next.data);
      // This session carries on; every other one (other browsers, other devices) has ended.
      req.session.authVersion = authVersion;
    } catch (err) {
      if (err instanceof AppError && err.kind === 'invalid')
        return accountPage(req, res, { errors: { current: err.message } }, 422);
      throw err;
    }
    await accountPage(req, res, { notice: 'Your password is changed; your other sessions have ended.' });
  });

  router.post('/account/digest', allowRoles(...everyone), async (req, res) => {
    const input = { frequency: req.body?.frequency, locale: req.body?.locale };
    try {
      const { preference, schedule } = await setDigestPreference(db, loop, me(res), input, me(res).id);
      const pending = schedule === 'pending' ? ' (its schedule follows when the workers start again)' : '';
      await accountPage(req, res, { notice: `${describeDigest(preference.frequency)}${pending}.` });
    } catch (err) {
      if (!(err instanceof AppError) || err.kind !== 'invalid') throw err;
      await accountPage(req, res, { errors: { digest: err.message } }, 422);
    }
  });

  const keysPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    send(
      req,
      res,
      'keys',
      {
        title: 'API keys',
        keys: await listApiKeys(db, { limit: 500, skip: 0 }),
        scopes: SCOPES.map((s) => ({ value: s, checked: s === 'events:write' })),
        teams: (await loadRouting(db))?.teams.map((t) => ({ id: t.id, name: t.name })) ?? [],
        units: unitOptions(await loadUnits(db), listField((extra.values as { units?: unknown } | undefined)?.units)),
        ...extra,
      },
      status,
    );
  };

  router.get('/keys', allowRoles('admin'), (req, res) => keysPage(req, res));

  router.post('/keys', allowRoles('admin'), async (req, res) => {
    const parsed = ZApiKeyInput.safeParse({
      name: req.body?.name,
      scopes: [req.body?.scopes ?? []].flat(),
      // No team ticked: an organisation-wide key.
      ...(req.body?.teams ? { teams: [req.body.teams].flat() } : {}),
      // No unit picked: every unit.
      ...(req.body?.units ? { units: [req.body.units].flat() } : {}),
      ...(req.body?.expiresAt ? { expiresAt: dateInputToIso(String(req.body.expiresAt)) } : {}),
    });
    if (!parsed.success) return keysPage(req, res, { errors: fieldErrors(parsed.error), values: req.body }, 422);
    const created = await createApiKey(db, parsed.data, me(res).id).catch((err: unknown) => {
      // A team the routing no longer has (it changed since the form was shown).
      if (err instanceof AppError && err.kind === 'invalid') return err;
      throw err;
    });
    if (created instanceof AppError) {
      const field = (created.details as { units?: unknown } | undefined)?.units ? 'units' : 'teams';
      return keysPage(req, res, { errors: { [field]: created.message }, values: req.body }, 422);
    }
    await keysPage(req, res, { created });
  });

  const teamsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const routing = await loadRouting(db);
    send(
      req,
      res,
      'teams',
      {
        title: 'Teams',
        canEdit: me(res).role === 'admin',
        teams: routing?.teams.map((team) => ({
          ...team,
          fallback: team.id === routing.fallbackTeam,
          handles: Object.entries(team.match).map(([key, values]) => `${key}: ${values.join(', ')}`),
          hours: describeHours(team.calendar),
        })),
        json: JSON.stringify(routing ?? EXAMPLE_ROUTING, null, 2),
        ...extra,
      },
      status,
    );
  };

  router.get('/teams', allowRoles('admin', 'operations', 'case_owner'), (req, res) => teamsPage(req, res));

  router.post('/teams', allowRoles('admin'), async (req, res) => {
    const text = String(req.body?.routing ?? '');
    try {
      await saveRouting(db, parseJson(text), me(res).id);
    } catch (err) {
      if (err instanceof AppError && err.kind === 'invalid')
        return teamsPage(req, res, { error: err.message, json: text }, 422);
      throw err;
    }
    await teamsPage(req, res, { notice: 'Routing saved; new cases follow it.' });
  });

  const webhooksPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    send(
      req,
      res,
      'webhooks',
      {
        title: 'Webhooks',
        webhooks: await listWebhooks(db),
        events: WEBHOOK_EVENTS.map((e) => ({ value: e, checked: true })),
        ...extra,
      },
      status,
    );
  };

  router.get('/webhooks', allowRoles('admin'), (req, res) => webhooksPage(req, res));

  router.post('/webhooks', allowRoles('admin'), async (req, res) => {
    const parsed = ZWebhookInput.safeParse({
      url: req.body?.url,
      events: [req.body?.events ?? []].flat(),
      ...(req.body?.description ? { description: req.body.description } : {}),
    });
    if (!parsed.success) return webhooksPage(req, res, { errors: fieldErrors(parsed.error), values: req.body }, 422);
    try {
      await webhooksPage(req, res, { created: await createWebhook(db, parsed.data, me(res).id, webhookAllowList) });
    } catch (err) {
      // A refused destination is shown next to the URL, like any other mistake in the form.
      const refusal = err instanceof AppError ? (err.details as { url?: string } | undefined)?.url : undefined;
      if (!refusal) throw err;
      await webhooksPage(req, res, { errors: { url: refusal }, values: req.body }, 422);
    }
  });

  router.post('/webhooks/:id/delete', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    await deleteWebhook(db, req.params.id, me(res).id);
    await webhooksPage(req, res, { notice: 'The webhook is deleted.' });
  });

  router.post('/keys/:id/revoke', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    await revokeApiKey(db, req.params.id, me(res).id);
    await keysPage(req, res, { notice: `Key ${req.params.id} is revoked.` });
  });
}

const FREQUENCY_LABELS: Record<DigestFrequency, string> = { daily: 'Daily', weekly: 'Weekly (Mondays)', none: 'None' };
const LOCALE_LABELS: Record<(typeof DIGEST_LOCALES)[number], string> = { en: 'English', de: 'Deutsch' };

/** The digest form's options, the person's choice (or their role's default) selected. */
function digestChoices(preference: DigestPreference & { chosen: boolean }) {
  return {
    chosen: preference.chosen,
    frequencies: DIGEST_FREQUENCIES.map((value) => ({
      value,
      label: FREQUENCY_LABELS[value],
      selected: value === preference.frequency,
    })),
    locales: DIGEST_LOCALES.map((value) => ({
      value,
      label: LOCALE_LABELS[value],
      selected: value === preference.locale,
    })),
  };
}

const describeDigest = (frequency: DigestFrequency) =>
  frequency === 'none' ? 'You get no digest' : `You get a ${frequency} digest`;

/** Form text as JSON, or an invalid-input error that says where it breaks. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError('invalid', `the routing is not valid JSON: ${(err as Error).message}`);
  }
}

function describeHours(calendar: Calendar): string {
  const days = WEEKDAYS.filter((d) => calendar.weekly[d]?.length).map(
    (d) => `${d} ${calendar.weekly[d]!.map(({ start, end }) => `${start}–${end}`).join(', ')}`,
  );
  return `${days.join('; ') || 'no hours'} (${calendar.timezone})`;
}

const EXAMPLE_ROUTING = {
  teams: [
    {
      id: 'general',
      name: 'Customer care',
      members: ['owner@example.com'],
      manager: 'manager@example.com',
      match: {},
      assignment: 'least-loaded',
      calendar: { timezone: 'Europe/Berlin', weekly: { mon: [{ start: '09:00', end: '17:00' }] }, holidays: [] },
    },
  ],
  fallbackTeam: 'general',
  managerAbove: {},
};

/** `<input type="date">` gives YYYY-MM-DD: the key works until the end of that day (UTC). */
function dateInputToIso(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59Z` : value;
}

function describeChange(change: z.infer<typeof ZUserChange>): string {
  if (change.action === 'role') return `role is now ${ROLE_LABELS[change.role]}`;
  if (change.action === 'units') return change.units.length ? `units are now ${change.units.join(', ')}` : 'no units';
  if (change.action === 'password') return 'new password set; their sessions have ended';
  if (change.action === 'frontline')
    return change.frontlineId ? `frontline ID is now ${change.frontlineId}` : 'no frontline ID';
  return change.action === 'disable' ? 'disabled; their sessions have ended' : 'enabled';
}
