import type { Response } from 'express';
import { type PersonalDataView, maskContactDetails, personalDataViewOf } from '../domain/personal-data';
import type { SignedInUser } from './auth';
import { HttpError } from './errors';
import type { ExperienceReport } from '../app/insight';

/** What the signed-in person may see of customers (src/domain/personal-data.ts). */
export function personalDataViewFor(res: Response): PersonalDataView {
  return personalDataViewOf((res.locals.user as SignedInUser).role);
}

/** Account-level figures (names, revenue) are for the roles that see every customer. */
export function ensureSeesAllCustomers(res: Response, what: string): void {
  if (personalDataViewFor(res).customers !== 'all')
    throw new HttpError(403, `${what} names customers and their revenue: for operations and admins only.`);
}

/**
 * The experience dashboard as the person may read it: anonymised example comments lose their
 * reply, their customer and the contact details typed into them.
 */
export function dashboardFor(view: PersonalDataView, report: ExperienceReport): ExperienceReport {
  if (view.comments === 'as-written') return report;
  return {
    ...report,
    themes: report.themes.map((theme) => ({
      ...theme,
      examples: theme.examples.map((e) => ({
        replyId: '',
        customerId: '',
        submittedAt: e.submittedAt,
        comment: maskContactDetails(e.comment),
      })),
    })),
  };
}
