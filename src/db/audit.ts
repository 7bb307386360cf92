import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import * as c from './collections';

/** Records who changed what (insert-only); admins read it at /admin/audit. */
export async function audit(
  db: Db,
  entry: {
    actor: string;
    action: string;
    subject: string;
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
  },
): Promise<void> {
  await c.auditLog(db).insertOne({ _id: randomUUID(), at: new Date(), ...entry });
}
