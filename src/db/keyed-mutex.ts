import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Runs tasks one at a time per key within this process (a p-limit of 1 per key).
 *
 * FerretDB v1 applies an update as read-modify-write outside a transaction (FerretDB issue
 * #3040), so concurrent updates of one document lose writes. Only the web tier's writes to a
 * customer record still go through this; it covers one process only, which is why shared
 * documents elsewhere have a single owner instead (README: one writer per shared document).
 */
export class KeyedMutex {
  private readonly queues = new Map<string, LimitFunction>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = pLimit(1);
      this.queues.set(key, queue);
    }
    try {
      return await queue(task);
    } finally {
      if (queue.activeCount === 0 && queue.pendingCount === 0) this.queues.delete(key);
    }
  }
}
