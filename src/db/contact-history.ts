import type { AnyBulkWriteOperation, Db } from 'mongodb';
import * as c from './collections';
import { type ContactHistory, type HistoryEntry, emptyHistory, withHistoryEntry } from '../domain/contact-history';

export async function contactHistoryOf(db: Db, customerId: string): Promise<ContactHistory> {
  const doc = await c.contactHistories(db).findOne({ _id: customerId });
  // FerretDB v1 leaves an empty list out of an upsert's $setOnInsert (the migration's): absent is none.
  return doc ? { contacts: doc.contacts ?? [], transactions: doc.transactions ?? [] } : emptyHistory();
}

/**
 * Adds what the customer's loop has just decided (one entry or several, in one write). Read, then replace by `_id`: the loop is the
 * document's only writer and takes one step at a time, and a retried step adds nothing twice.
 */
export async function keepInHistory(db: Db, customerId: string, ...entries: HistoryEntry[]): Promise<void> {
  const history = await contactHistoryOf(db, customerId);
  const now = Date.now();
  const next = entries.reduce((kept, entry) => withHistoryEntry(kept, entry, now), history);
  await c.contactHistories(db).replaceOne({ _id: customerId }, { ...next, updatedAt: new Date() }, { upsert: true });
}

/**
 * The histories of what versions before contact histories decided, read from the contact decisions
 * and events in one pass each (a migration step, before any worker polls). Inserted only where no
 * history exists yet, so a re-run (a resumed migration) changes nothing the loops wrote since.
 * Reports the histories written; returns how many customers have one built this way.
 */
export async function buildContactHistories(
  db: Db,
  progress: (done: number, total: number) => void = () => {},
): Promise<number> {
  const histories = new Map<string, ContactHistory>();
  const add = (customerId: string | undefined, entry: HistoryEntry) => {
    if (!customerId) return;
    histories.set(customerId, withHistoryEntry(histories.get(customerId) ?? emptyHistory(), entry, Date.now()));
  };
  const decisions = c
    .contactDecisions(db)
    .find(
      { action: { $in: ['send', 'defer'] } },
      { projection: { customerId: 1, eventId: 1, programId: 1, sendAt: 1 } },
    );
  for await (const d of decisions)
    if (d.sendAt instanceof Date)
      add(d.customerId, {
        kind: 'contact',
        key: d._id,
        eventId: d.eventId,
        programId: d.programId,
        at: d.sendAt.getTime(),
      });
  const events = c
    .events(db)
    .find({ processedAt: { $exists: true } }, { projection: { customerId: 1, occurredAt: 1, programId: 1 } });
  for await (const e of events)
    if (!e.programId && e.occurredAt instanceof Date)
      add(e.customerId, { kind: 'transaction', key: e._id, at: e.occurredAt.getTime() });
  const now = new Date();
  const inserts: AnyBulkWriteOperation<c.ContactHistoryDoc>[] = [...histories].map(([customerId, history]) => ({
    updateOne: { filter: { _id: customerId }, update: { $setOnInsert: { ...history, updatedAt: now } }, upsert: true },
  }));
  for (let i = 0; i < inserts.length; i += 1000) {
    await c.contactHistories(db).bulkWrite(inserts.slice(i, i + 1000), { ordered: false });
    progress(Math.min(i + 1000, inserts.length), inserts.length);
  }
  return histories.size;
}
