import { describe, expect, it } from 'vitest';
import { HISTORY_WINDOW_MS, emptyHistory, historyFor, withHistoryEntry } from '../../src/domain/contact-history';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('contact history', () => {
  it('when a step is retried, then its entry is kept once', () => {
    const contact = { kind: 'contact', key: 'e1|p', eventId: 'e1', programId: 'p', at: NOW } as const;
    const transaction = { kind: 'transaction', key: 'e2', at: NOW - DAY } as const;
    let history = emptyHistory();
    for (const entry of [contact, transaction, contact, transaction]) history = withHistoryEntry(history, entry, NOW);
    expect(history).toEqual({
      contacts: [{ key: 'e1|p', eventId: 'e1', programId: 'p', at: NOW }],
      transactions: [{ key: 'e2', at: NOW - DAY }],
    });
  });

  it('when entries fall out of the 400-day window, then the next write drops them', () => {
    const old = NOW - HISTORY_WINDOW_MS - 1;
    let history = withHistoryEntry(emptyHistory(), { kind: 'transaction', key: 'old', at: old }, old);
    history = withHistoryEntry(history, { kind: 'transaction', key: 'edge', at: NOW - HISTORY_WINDOW_MS }, NOW);
    expect(history.transactions.map((t) => t.key)).toEqual(['edge']);
  });

  it('when the rules look back from an event, then they see the other events’ contacts and the transactions up to it, itself included', () => {
    let history = emptyHistory();
    history = withHistoryEntry(
      history,
      { kind: 'contact', key: 'a|p', eventId: 'a', programId: 'p', at: NOW - 2 * DAY },
      NOW,
    );
    // A retry of the event being decided finds its own earlier decision: not a previous contact.
    history = withHistoryEntry(history, { kind: 'contact', key: 'b|p', eventId: 'b', programId: 'p', at: NOW }, NOW);
    history = withHistoryEntry(history, { kind: 'transaction', key: 'a', at: NOW - 2 * DAY }, NOW);
    history = withHistoryEntry(history, { kind: 'transaction', key: 'later', at: NOW + DAY }, NOW);
    expect(historyFor(history, { id: 'b', at: NOW, isTransaction: true })).toEqual({
      contacts: [{ programId: 'p', at: NOW - 2 * DAY }],
      transactions: [NOW - 2 * DAY, NOW],
    });
    // A program's own event (a wave, a campaign) is no transaction.
    expect(historyFor(history, { id: 'b', at: NOW, isTransaction: false }).transactions).toEqual([NOW - 2 * DAY]);
  });
});
