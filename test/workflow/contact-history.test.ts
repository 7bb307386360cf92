import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { inject } from 'vitest';
import * as c from '../../src/db/collections';
import { contactHistoryOf } from '../../src/db/contact-history';
import { migrate } from '../../src/db/migrate';

describe('contact histories of earlier versions', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = await MongoClient.connect(inject('stack').mongoUri);
  });
  afterAll(() => client?.close());

  it('when a database of earlier versions is migrated, then each customer’s history is built once from the decisions and events', async () => {
    // A database of its own: the shared one has been built already.
    const db = client.db(`cxloop_history_${randomUUID().slice(0, 8)}`);
    const at = new Date(Date.now() - 86_400_000);
    await c.contactDecisions(db).insertMany([
      {
        _id: 'e1|p',
        customerId: 'ann',
        eventId: 'e1',
        programId: 'p',
        action: 'send',
        reason: 'ok',
        sendAt: at,
        decidedAt: at,
      },
      {
        _id: 'e2|p',
        customerId: 'ann',
        eventId: 'e2',
        programId: 'p',
        action: 'skip',
        reason: 'fatigue',
        decidedAt: at,
      },
    ] as c.ContactDecisionDoc[]);
    await c.events(db).insertMany([
      { _id: 'e1', type: 'purchase', customerId: 'ann', occurredAt: at, receivedAt: at, processedAt: at, data: {} },
      {
        _id: 'w1',
        type: 'wave',
        programId: 'p',
        customerId: 'ann',
        occurredAt: at,
        receivedAt: at,
        processedAt: at,
        data: {},
      },
      { _id: 'e3', type: 'purchase', customerId: 'bob', occurredAt: at, receivedAt: at, data: {} },
    ] as c.EventDoc[]);
    try {
      await migrate(db);
      expect(await c.contactHistories(db).countDocuments()).toBe(1);
      expect(await contactHistoryOf(db, 'ann')).toEqual({
        contacts: [{ key: 'e1|p', eventId: 'e1', programId: 'p', at: at.getTime() }],
        transactions: [{ key: 'e1', at: at.getTime() }],
      });
      // Bob's event is not decided yet: his loop records it when it is.
      expect(await contactHistoryOf(db, 'bob')).toEqual({ contacts: [], transactions: [] });
      await c.contactDecisions(db).insertOne({
        _id: 'e9|p',
        customerId: 'cat',
        eventId: 'e9',
        programId: 'p',
        action: 'send',
        reason: 'ok',
        sendAt: at,
        decidedAt: at,
      } as c.ContactDecisionDoc);
      expect((await migrate(db)).ran).toEqual([]);
      expect(await c.contactHistories(db).countDocuments({ _id: 'cat' })).toBe(0);
    } finally {
      await db.dropDatabase();
    }
  });

  it('when a migrated customer was only surveyed, then their history reads with no transactions (FerretDB leaves an inserted empty list out)', async () => {
    const db = client.db(`cxloop_history_${randomUUID().slice(0, 8)}`);
    const at = new Date(Date.now() - 86_400_000);
    // A wave's survey: a contact, and no transaction of the customer's.
    await c.contactDecisions(db).insertOne({
      _id: 'w1|p',
      customerId: 'dan',
      eventId: 'w1',
      programId: 'p',
      action: 'send',
      reason: 'ok',
      sendAt: at,
      decidedAt: at,
    } as c.ContactDecisionDoc);
    try {
      await migrate(db);
      expect(await contactHistoryOf(db, 'dan')).toEqual({
        contacts: [{ key: 'w1|p', eventId: 'w1', programId: 'p', at: at.getTime() }],
        transactions: [],
      });
    } finally {
      await db.dropDatabase();
    }
  });
});
