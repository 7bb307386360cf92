import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
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

/**
 * The database commands sent by this process's clients while it runs, by collection and command:
 * what a piece of work costs the database, counted rather than timed (benchmarks and the budget
 * test). Only clients connected after it started are counted.
 */
export class CommandTally {
  readonly counts = new Map<string, number>();

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  record(event: CommandStartedEvent): void {
    const key = commandKey(event);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Forgets what was counted so far (the set-up before the work to measure). */
  reset(): void {
    this.counts.clear();
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

/** Starts counting the commands of every client connected from now on, until `stop()`. */
export function startCommandTally(): CommandTally {
  const tally = new CommandTally();
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
  const write = () => writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify([...tally.counts]));
  setInterval(write, 500).unref();
  process.on('exit', write);
}

/** The commands counted so far by every process writing to `dir`, summed by collection and command. */
export function readTallyDirectory(dir: string): Map<string, number> {
  const sum = new Map<string, number>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    let counts: [string, number][];
    try {
      counts = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as [string, number][];
    } catch {
      continue; // being rewritten: the next reading has it
    }
    for (const [key, n] of counts) sum.set(key, (sum.get(key) ?? 0) + n);
  }
  return sum;
}
