import { Context } from '@temporalio/activity';

const HEARTBEAT_MS = 5_000;

/**
 * Runs an activity while heartbeating: however long MongoDB, SMTP or Temporal take, the attempt
 * stays alive as long as its worker does, instead of being abandoned mid-way and its work done a
 * second time by the retry (an email handed over again, see EMAIL_ACTIVITY_OPTIONS; a campaign
 * page inserted and signalled again).
 */
export async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
