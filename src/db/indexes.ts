import type { Db } from 'mongodb';
import * as c from './collections';

/**
 * The indexes the queries need, created by migration step 3 (`migrations.ts`); a later index comes
 * with a step of its own. One at a time: on a large collection each is a long build, and the
 * progress (`done` of `total` indexes) counts them.
 */
export async function createIndexes(db: Db, progress: (done: number, total: number) => void): Promise<void> {
  const indexes: (() => Promise<string>)[] = [
    () => c.invitations(db).createIndex({ tokenHash: 1 }, { unique: true, name: 'token_hash_unique' }),
    () => c.invitations(db).createIndex({ customerId: 1, createdAt: -1 }, { name: 'by_customer' }),
    () => c.events(db).createIndex({ customerId: 1, occurredAt: -1 }, { name: 'by_customer' }),
    () => c.events(db).createIndex({ processedAt: 1, receivedAt: 1 }, { name: 'unprocessed' }),
    () => c.waveDays(db).createIndex({ programId: 1, day: -1 }, { name: 'by_program_day' }),
    () => c.contactDecisions(db).createIndex({ customerId: 1, decidedAt: -1 }, { name: 'by_customer' }),
    () => c.responses(db).createIndex({ finalizedAt: 1, submittedAt: 1 }, { name: 'unfinalized' }),
    () => c.responses(db).createIndex({ customerId: 1, submittedAt: -1 }, { name: 'by_customer' }),
    () => c.rollups(db).createIndex({ programId: 1, day: 1, segment: 1 }, { name: 'by_program_day_segment' }),
    () => c.sinkMessages(db).createIndex({ receivedAt: -1 }, { name: 'newest_first' }),
    () => c.sessions(db).createIndex({ 'session.userId': 1 }, { name: 'by_user' }),
    // One counter per key, also when two web processes count its first hit at once.
    () => c.rateLimitCounters(db).createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
    () => c.cases(db).createIndex({ ownerId: 1, status: 1, openedAt: -1 }, { name: 'by_owner' }),
    () => c.cases(db).createIndex({ teamId: 1, status: 1, openedAt: -1 }, { name: 'by_team' }),
    () => c.cases(db).createIndex({ customerId: 1, openedAt: -1 }, { name: 'by_customer' }),
    () => c.caseTimeline(db).createIndex({ caseId: 1, seq: 1 }, { name: 'by_case' }),
    () => c.journeyReplies(db).createIndex({ programId: 1, at: -1 }, { name: 'by_program' }),
    () => c.auditLog(db).createIndex({ at: -1 }, { name: 'newest_first' }),
    () => c.webhookAttempts(db).createIndex({ webhookId: 1, at: -1 }, { name: 'by_webhook' }),
    () => c.webhookAttempts(db).createIndex({ deliveryId: 1, ok: 1 }, { name: 'by_delivery' }),
  ];
  for (const [i, create] of indexes.entries()) {
    await create();
    progress(i + 1, indexes.length);
  }
}
