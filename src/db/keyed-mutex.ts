/**
 * Runs tasks one at a time per key within this process.
 *
 * FerretDB v1 applies an update as read-modify-write outside a transaction (FerretDB issue
 * #3040), so concurrent updates of one document lose writes, `$inc` included. Writers of shared
 * documents (rollups, a customer's record) go through this so that, on the embedded stack's
 * single worker and web process, no update is lost. MongoDB itself needs no such care.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
