import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandStartedEvent, MongoClient } from 'mongodb';

/** Commands whose argument is the collection they act on. */
const ON_COLLECTION = new Set([
  'aggregate',
  'count',
  'createIndexes',
  'delete',
  'distinct',
  'drop',
  'find',
  'findAndModify',
  'insert',
  'listIndexes',
  'update',
]);

/** `collection command`, e.g. `rollups update`; `getMore` is counted under the collection it reads. */
function commandKey(event: CommandStartedEvent): string {
  const argument: unknown = event.command[event.commandName];
  const collection =
    event.commandName === 'getMore'
      ? String(event.command.collection)
      : ON_COLLECTION.has(event.commandName) && typeof argument === 'string'
        ? argument
        : '-';
  return `${collection} ${event.commandName}`;
}

/** The filters a command selects documents by (none for inserts and index commands). */
function filtersOf(event: CommandStartedEvent): unknown[] {
  const cmd = event.command;
  switch (event.commandName) {
    case 'find':
      return [cmd.filter ?? {}];
    case 'count':
    case 'distinct':
    case 'findAndModify':
      return [cmd.query ?? {}];
    case 'update':
    case 'delete':
      return ((cmd.updates ?? cmd.deletes ?? []) as { q?: unknown }[]).map((statement) => statement.q ?? {});
    case 'aggregate':
      // FerretDB v1 decodes the whole collection for any pipeline, even one matching `_id` alone.
      return [{ pipeline: cmd.pipeline }];
    default:
      return [];
  }
}

/**
 * Whether a filter names one document by `_id` alone: the only read FerretDB v1 answers from its
 * index. Measured here on 10,000 documents: by `_id` 2–60 ms; `_id` with another field about 150 ms;
 * `_id: { $in: [...] }` or any other field 2–5 s, as long as decoding the whole collection.
 */
function byId(filter: unknown): boolean {
  if (typeof filter !== 'object' || filter === null || Object.keys(filter).length !== 1 || !('_id' in filter))
    return false;
  const id = filter._id;
  return typeof id !== 'object' || id === null || (Object.keys(id).length === 1 && '$eq' in id);
}

/** Whether a command selects by anything but `_id`: a scan of its collection on the embedded store. */
export const scansCollection = (event: CommandStartedEvent): boolean => filtersOf(event).some((f) => !byId(f));

/**
 * The database commands sent by this process's clients while it runs, by collection and command:
 * what a piece of work costs the database, counted rather than timed (benchmarks and the budget
 * test). Only clients connected after it started are counted.
 */
export class CommandTally {
  readonly counts = new Map<string, number>();
  /** The commands by the label `labelOf` gave them when sent (e.g. the activity sending them), if any. */
  readonly byLabel = new Map<string, number>();
  /** Of those, the ones selecting by anything but `_id` (scansCollection), keyed the same way. */
  readonly scans = new Map<string, number>();

  constructor(private readonly labelOf: () => string | undefined = () => undefined) {}

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  record(event: CommandStartedEvent): void {
    const key = commandKey(event);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (scansCollection(event)) this.scans.set(key, (this.scans.get(key) ?? 0) + 1);
    const label = this.labelOf();
    if (label !== undefined) this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
  }

  /** Forgets what was counted so far (the set-up before the work to measure). */
  reset(): void {
    this.counts.clear();
    this.scans.clear();
    this.byLabel.clear();
  }

  /** Rows of `collection command: per unit`, most frequent first. */
  perUnit(units: number): { command: string; perUnit: number }[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([command, n]) => ({ command, perUnit: Math.round((n / units) * 100) / 100 }));
  }

  stop(): void {
    running.delete(this);
  }
}

const running = new Set<CommandTally>();

/**
 * Starts counting the commands of every client connected from now on, until `stop()`. `labelOf`,
 * called as each command is sent (in the sender's async context), names the work it belongs to.
 */
export function startCommandTally(labelOf?: () => string | undefined): CommandTally {
  const tally = new CommandTally(labelOf);
  running.add(tally);
  return tally;
}

/** Whether a client connecting now must report its commands (the driver only does when asked at connect). */
export const tallyingCommands = (): boolean => running.size > 0;

export function reportCommandsToTallies(client: MongoClient): void {
  client.on('commandStarted', (event) => {
    for (const tally of running) tally.record(event);
  });
}

let fileTally: CommandTally | undefined;

/**
 * For benchmarks of separate web and worker processes: with `CXLOOP_COMMAND_TALLY_DIR` set, this
 * process counts its commands from now on and keeps `<dir>/<pid>.json` current (twice a second and
 * at exit) for the benchmark to sum with `readTallyDirectory`.
 */
export function tallyToDirectoryFromEnv(dir = process.env.CXLOOP_COMMAND_TALLY_DIR): void {
  if (!dir || fileTally) return;
  const tally = (fileTally = startCommandTally());
  const file = path.join(dir, `${process.pid}.json`);
  // Written aside, then renamed over the last: a reader never sees a half-written file.
  const write = () => {
    writeFileSync(`${file}.part`, JSON.stringify({ counts: [...tally.counts], scans: [...tally.scans] }));
    renameSync(`${file}.part`, file);
  };
  setInterval(write, 500).unref();
  process.on('exit', write);
}

/**
 * The commands counted so far by every process writing to `dir` (or, with `scans`, those of them
 * that select by anything but `_id`), summed by collection and command.
 */
export function readTallyDirectory(dir: string, which: 'counts' | 'scans' = 'counts'): Map<string, number> {
  const sum = new Map<string, number>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    let tally: Record<typeof which, [string, number][]>;
    try {
      tally = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<typeof which, [string, number][]>;
    } catch {
      continue; // being rewritten: the next reading has it
    }
    for (const [key, n] of tally[which]) sum.set(key, (sum.get(key) ?? 0) + n);
  }
  return sum;
}
