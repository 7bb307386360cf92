import type { Db } from 'mongodb';
import { sinkMessages } from '../db/collections';
import { type CustomerAccess, EVERY_CUSTOMER, ensureWholeOrganisation } from './customers';

/**
 * The embedded SMTP sink's messages, newest first; `to` matches part of the recipient, any case.
 * A message knows its recipient's address only, not their unit: for the whole organisation.
 */
export function listOutbox(
  db: Db,
  filter: { to?: string },
  { limit, skip }: { limit: number; skip: number },
  access: CustomerAccess = EVERY_CUSTOMER,
) {
  ensureWholeOrganisation(access, 'The outbox');
  const query = filter.to !== undefined ? { to: { $regex: escapeRegex(filter.to), $options: 'i' } } : {};
  return sinkMessages(db).find(query).sort({ receivedAt: -1 }).skip(skip).limit(limit).toArray();
}

export function findOutboxMessage(db: Db, id: string) {
  return sinkMessages(db).findOne({ _id: id });
}

/** Only a message's own HTML, for the framed preview. */
export function outboxHtml(db: Db, id: string) {
  return sinkMessages(db).findOne({ _id: id }, { projection: { html: 1 } });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
