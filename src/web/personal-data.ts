import type { Response } from 'express';
import { type PersonalDataView, personalDataViewOf } from '../domain/personal-data';
import type { SignedInUser } from './auth';
import { HttpError } from './errors';

/** What the signed-in person may see of customers (src/domain/personal-data.ts). */
export function personalDataViewFor(res: Response): PersonalDataView {
  return personalDataViewOf((res.locals.user as SignedInUser).role);
}

/** Account-level figures (names, revenue) are for the roles that see every customer. */
export function ensureSeesAllCustomers(res: Response, what: string): void {
  if (personalDataViewFor(res).customers !== 'all')
    throw new HttpError(403, `${what} names customers and their revenue: for operations and admins only.`);
}
