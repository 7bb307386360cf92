/**
 * What the contact rules need to know of a customer's past, kept in one document per customer
 * (read by `_id`, the one filter FerretDB v1 answers from its index: asking the events and contact
 * decisions by customer decodes those whole collections, for every decision) and written only by
 * the customer's loop, one step at a time.
 */

/** How far back transactions and contacts matter for any contact rule. */
export const HISTORY_WINDOW_MS = 400 * 86_400_000;

/** Each entry is keyed by what caused it, so that a retried step records it once. */
export interface ContactHistory {
  /** Surveys sent or scheduled (key: the decision's `<event>|<program>`), at their send time. */
  contacts: { key: string; eventId: string; programId: string; at: number }[];
  /** Transactions decided on (key: the event), at the time they occurred. */
  transactions: { key: string; at: number }[];
}

export type HistoryEntry =
  | { kind: 'contact'; key: string; eventId: string; programId: string; at: number }
  | { kind: 'transaction'; key: string; at: number };

export const emptyHistory = (): ContactHistory => ({ contacts: [], transactions: [] });

/** The history with `entry` added (unless it is there already) and what fell out of the window dropped. */
export function withHistoryEntry(history: ContactHistory, entry: HistoryEntry, now: number): ContactHistory {
  const since = now - HISTORY_WINDOW_MS;
  const contacts = history.contacts.filter((c) => c.at >= since);
  const transactions = history.transactions.filter((t) => t.at >= since);
  if (entry.kind === 'contact') {
    const { key, eventId, programId, at } = entry;
    if (!contacts.some((c) => c.key === key)) contacts.push({ key, eventId, programId, at });
  } else if (!transactions.some((t) => t.key === entry.key)) transactions.push({ key: entry.key, at: entry.at });
  return { contacts, transactions };
}

/**
 * What the contact rules see when deciding on `event`: the other events' contacts in the window,
 * and the transactions in the window up to the event's time, the event itself included when it is one.
 */
export function historyFor(
  history: ContactHistory,
  event: { id: string; at: number; isTransaction: boolean },
): { contacts: { programId: string; at: number }[]; transactions: number[] } {
  const since = event.at - HISTORY_WINDOW_MS;
  const transactions = history.transactions
    .filter((t) => t.key !== event.id && t.at >= since && t.at <= event.at)
    .map((t) => t.at);
  return {
    contacts: history.contacts
      .filter((c) => c.eventId !== event.id && c.at >= since)
      .map(({ programId, at }) => ({ programId, at })),
    transactions: event.isTransaction ? [...transactions, event.at] : transactions,
  };
}
