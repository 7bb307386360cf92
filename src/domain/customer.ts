/** A customer's record as integrations send it (validated by `ZCustomerInput` at the edge). */
export interface CustomerProfile {
  id: string;
  email: string;
  name?: string;
  locale?: string;
  timezone?: string;
  /** Merged into the stored attributes: integrations may send only what changed. */
  attributes?: Record<string, string | number | boolean>;
}

/** What became of a profile change: an erased customer's record is never written again. */
export type ProfileOutcome = 'applied' | 'erased';

/** What an erasure removed or stopped. */
export interface ErasureSummary {
  invitationsCancelled: number;
  repliesCleared: number;
  outboxEmailsRemoved: number;
  eventsCleared: number;
}
