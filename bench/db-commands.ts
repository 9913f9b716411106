// The commands Tally's MongoDB client sends, seen from the bench process: the processors and
// the API run in this process (startTally), so a command listener on Tally's own client sees
// every write a batch makes and every read an /o request makes. The client is built in
// scripts/runtime.ts with fixed options, so monitoring is switched on through the connection
// string, which the driver reads like the option.
import type { CommandStartedEvent, Document, MongoClient } from 'mongodb';

/** `url` with the driver's `monitorCommands=true` option added. */
export function withCommandMonitoring(url: string): string {
  const query = url.indexOf('?');
  if (query >= 0) return `${url}&monitorCommands=true`;
  // The connection-string grammar needs the `/` (empty database path) before any options.
  const hasPath = url.indexOf('/', url.indexOf('://') + 3) >= 0;
  return `${url}${hasPath ? '' : '/'}?monitorCommands=true`;
}

/** Write commands and the field holding their statements (one entry per document written). */
const WRITES: Readonly<Record<string, string | undefined>> = { insert: 'documents', update: 'updates', delete: 'deletes', findAndModify: undefined };
const READS = new Set(['find', 'getMore', 'aggregate', 'count', 'distinct']);

const field = (doc: Document, key: string): unknown => doc[key];

export interface CommandCounts {
  /** Write commands (round trips): insert, update, delete, findAndModify. */
  readonly writeCommands: number;
  /** Write statements (documents inserted, updated or deleted), by collection. */
  readonly statementsByCollection: Readonly<Record<string, number>>;
  readonly writeStatements: number;
  /** Read commands (find, getMore, aggregate, count, distinct). */
  readonly readCommands: number;
}

/** Counts Tally's database commands between start() and stop(). */
export class CommandCounter {
  private writeCommands = 0;
  private readCommands = 0;
  private byCollection: Record<string, number> = {};
  private readonly listener = (e: CommandStartedEvent): void => {
    if (READS.has(e.commandName)) this.readCommands++;
    if (!Object.hasOwn(WRITES, e.commandName)) return;
    this.writeCommands++;
    const list = WRITES[e.commandName];
    const statements = field(e.command, list ?? '');
    const n = list === undefined ? 1 : Array.isArray(statements) ? statements.length : 0;
    const collection = String(field(e.command, e.commandName));
    this.byCollection[collection] = (this.byCollection[collection] ?? 0) + n;
  };

  constructor(private readonly client: MongoClient) {}

  start(): void {
    this.writeCommands = 0;
    this.readCommands = 0;
    this.byCollection = {};
    this.client.on('commandStarted', this.listener);
  }

  stop(): CommandCounts {
    this.client.off('commandStarted', this.listener);
    const writeStatements = Object.values(this.byCollection).reduce((a, b) => a + b, 0);
    return { writeCommands: this.writeCommands, statementsByCollection: { ...this.byCollection }, writeStatements, readCommands: this.readCommands };
  }
}

/** A read command as the driver sent it, minus session and cluster fields. */
export interface CapturedRead {
  readonly databaseName: string;
  readonly commandName: string;
  readonly command: Document;
}

/** The read commands Tally's client sends while `fn` runs. */
export async function captureReads<T>(client: MongoClient, fn: () => Promise<T>): Promise<{ result: T; reads: CapturedRead[] }> {
  const reads: CapturedRead[] = [];
  const listener = (e: CommandStartedEvent): void => {
    if (!READS.has(e.commandName)) return;
    const command = Object.fromEntries(Object.entries(e.command).filter(([k]) => k !== 'lsid' && !k.startsWith('$')));
    reads.push({ databaseName: e.databaseName, commandName: e.commandName, command });
  };
  client.on('commandStarted', listener);
  try {
    return { result: await fn(), reads };
  } finally {
    client.off('commandStarted', listener);
  }
}
