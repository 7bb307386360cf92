import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { z } from 'zod';
import { type Role, roleGrants } from '../../domain/access';
import { ZFixInput } from '../../domain/fixes';
import { localize } from '../../domain/localize';
import { lastDays } from '../../domain/dashboard';
import { rollupDay } from '../../domain/rollup';
import { allowRoles } from '../access';
import { progressView } from './admin-campaigns';
import type { LoopSettings } from '../../temporal/loop-client';
import { loadRootCause, markFixed } from '../../app/root-causes';
import { sendTable } from '../exports';
import { rootCauseFixesExport } from '../../app/table-exports';
import { unitAccessOf } from '../../app/units';
import type { SignedInUser } from '../auth';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;
type FormBody = Record<string, string | string[] | undefined>;

const text = (value: FormBody[string]) => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));

/** The form as the fix it asks for (the schema then judges it, as for the API). */
function fixFromForm(body: FormBody) {
  return {
    id: text(body.id),
    note: text(body.note),
    from: text(body.from),
    to: text(body.to),
    resurvey: text(body.resurvey) === 'yes',
  };
}

function fieldErrors(issues: z.core.$ZodIssue[]): Record<string, string> {
  return Object.fromEntries(issues.map((i) => [String(i.path[0] ?? 'form'), i.message]));
}

/** A new fix's ID: unique, in the form so that a double click sends the same one. */
const newFixId = () => randomUUID().slice(0, 18);

/** A root cause's page (its fixes with progress and effect) and the "mark as fixed" form. */
export function rootCauseRoutes(
  router: Router,
  { db, loop, send, roles, fixers }: { db: Db; loop: LoopSettings; send: Send; roles: Role[]; fixers: Role[] },
) {
  const page = async (
    req: Request<{ cause: string }>,
    res: Response,
    form: Record<string, unknown> = {},
    status = 200,
  ) => {
    const report = await loadRootCause(db, req.params.cause, await unitAccessOf(db, res.locals.user as SignedInUser));
    const year = lastDays(rollupDay(Date.now()), 365);
    send(
      req,
      res,
      'root-cause',
      {
        title: `Root cause: ${report.rootCause}`,
        report: {
          ...report,
          fixes: report.fixes.map((fix) => ({
            ...fix,
            noteText: localize(fix.note, 'en', 'en'),
            progress: progressView(fix.campaign.progress),
          })),
        },
        causePath: encodeURIComponent(report.rootCause),
        canFix: roleGrants(res.locals.user.role, fixers),
        values: { id: newFixId(), from: year.from, to: rollupDay(Date.now()), resurvey: 'yes' },
        ...form,
      },
      status,
    );
  };

  router.get('/root-causes/:cause/fixes.csv', allowRoles(...roles), async (req: Request<{ cause: string }>, res) => {
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    await sendTable(res, db, await rootCauseFixesExport(db, req.params.cause, access));
  });

  router.get('/root-causes/:cause', allowRoles(...roles), (req: Request<{ cause: string }>, res) => page(req, res));

  router.post('/root-causes/:cause/fixes', allowRoles(...fixers), async (req: Request<{ cause: string }>, res) => {
    const body = (req.body ?? {}) as FormBody;
    const parsed = ZFixInput.safeParse(fixFromForm(body));
    if (!parsed.success) return page(req, res, { errors: fieldErrors(parsed.error.issues), values: { ...body } }, 422);
    await markFixed(db, loop, req.params.cause, parsed.data, res.locals.user.email as string);
    res.redirect(303, `/admin/root-causes/${encodeURIComponent(req.params.cause)}`);
  });
}
