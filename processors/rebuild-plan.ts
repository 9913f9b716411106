// Before a rebuild folds anything: which version it builds, where each group starts, and
// whether the stream still holds what that start needs. A rebuild that would silently produce
// partial history (events aged out by retention, a gap after a base version) is refused here.
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Db } from 'mongodb';
import {
  copyCollection,
  listCheckpoints,
  listVersionCollections,
  parseVersionedCollection,
  readPointer,
  seedCheckpoint,
  versionedCollection,
  type Checkpoint,
  type RebuildRecord,
} from '../projections/index.ts';
import { eventsStreamName, type TallyConfig } from '../streams.config.ts';
import { RebuildRefusedError } from './errors.ts';
import { checkpointId, checkpointPrefix, versionOfCheckpointId } from './pipeline.ts';

/** Where a rebuild starts: the stream start, a sequence or time (`--from`), and/or a base version. */
export interface RebuildStart {
  /** Version to copy documents and checkpoints from (it must not be the live one). */
  readonly base?: number;
  /** First stream sequence, or a time (ms since epoch) resolved to the first sequence at or after it. */
  readonly from?: { readonly seq: number } | { readonly timeMs: number };
}

export interface VersionsOptions {
  readonly db: Db;
  readonly pipeline: string;
  readonly owns: (logical: string) => boolean;
}

/** The versions that have collections (by version, as listVersionCollections gives them) or checkpoints, ascending. */
export function versionsIn(collections: ReadonlyMap<number, readonly string[]>, checkpoints: readonly Checkpoint[]): number[] {
  const versions = new Set(collections.keys());
  for (const cp of checkpoints) {
    const v = versionOfCheckpointId(cp._id);
    if (v !== undefined) versions.add(v);
  }
  return [...versions].sort((a, b) => a - b);
}

/** Every version of a projection that has collections or checkpoints. */
export async function knownVersions(o: VersionsOptions): Promise<number[]> {
  return versionsIn(await listVersionCollections(o.db, o.owns), await listCheckpoints(o.db, `${o.pipeline}:v`));
}

/** The version a new rebuild builds: one above every version that exists or existed. */
export async function nextVersion(o: VersionsOptions, record: RebuildRecord | null): Promise<number> {
  const pointer = await readPointer(o.db, o.pipeline);
  return Math.max(pointer.active, pointer.previous ?? 0, record?.version ?? 0, ...(await knownVersions(o))) + 1;
}

async function resolveFromSeq(jsm: JetStreamManager, stream: string, from: RebuildStart['from']): Promise<number> {
  if (from === undefined) return 1;
  if ('seq' in from) return from.seq;
  const msg = await jsm.direct.getMessage(stream, { start_time: new Date(from.timeMs) });
  if (msg === null) throw new RebuildRefusedError(`no event at or after ${new Date(from.timeMs).toISOString()} in ${stream}`);
  return msg.seq;
}

function retentionText(config: Readonly<TallyConfig>): string {
  const s = config.streams;
  const age = s.maxAgeMs > 0 ? `max age ${Math.round(s.maxAgeMs / 3_600_000)} h` : 'no age limit';
  const bytes = s.maxBytes > 0 ? `max ${s.maxBytes} bytes` : 'no size limit';
  return `${age}, ${bytes}`;
}

export interface PlanOptions extends VersionsOptions {
  readonly config: Readonly<TallyConfig>;
  readonly jsm: JetStreamManager;
  readonly start: RebuildStart;
}

/** Checks that the stream still holds every event the rebuild needs; returns each group's start checkpoint. */
export async function planStart(o: PlanOptions): Promise<{ fromSeq: number; baseCheckpoints: Checkpoint[] }> {
  const stream = eventsStreamName(o.config.streams);
  const info = await o.jsm.streams.info(stream);
  const firstSeq = info.state.messages === 0 ? info.state.last_seq + 1 : info.state.first_seq;
  const fromSeq = await resolveFromSeq(o.jsm, stream, o.start.from);
  const groups = o.config.streams.partitionGroups;
  let baseCheckpoints: Checkpoint[] = [];
  if (o.start.base !== undefined) {
    const pointer = await readPointer(o.db, o.pipeline);
    if (o.start.base === pointer.active) {
      throw new RebuildRefusedError(
        `version ${o.start.base} is live and changes while it is copied; a base must be an inactive version (after a switch, the previous one)`,
      );
    }
    baseCheckpoints = await listCheckpoints(o.db, checkpointPrefix(o.pipeline, o.start.base));
    if (baseCheckpoints.length !== groups || baseCheckpoints.some((cp) => cp.pending !== null || cp.groups !== groups)) {
      throw new RebuildRefusedError(`version ${o.start.base} has no complete checkpoint for each of the ${groups} partition groups`);
    }
    const lowest = Math.min(...baseCheckpoints.map((cp) => cp.seq));
    if (lowest + 1 < firstSeq) {
      throw new RebuildRefusedError(
        `version ${o.start.base} covers the stream up to sequence ${lowest} in its slowest group, but the stream now starts at ${firstSeq} (${retentionText(o.config)}): events in between are gone`,
      );
    }
    if (fromSeq > lowest + 1)
      throw new RebuildRefusedError(`--from ${fromSeq} leaves a gap after version ${o.start.base}, which covers the stream up to sequence ${lowest}`);
    return { fromSeq: lowest + 1, baseCheckpoints };
  }
  if (fromSeq < firstSeq) {
    throw new RebuildRefusedError(
      `the stream starts at sequence ${firstSeq}: events 1–${firstSeq - 1} have aged out (${retentionText(o.config)}), so a rebuild from ${fromSeq === 1 ? 'the start' : `sequence ${fromSeq}`} would silently produce partial history. ` +
        `Rebuild onto an inactive version that covers them (--base <version>), or name the first sequence you accept with --from ${firstSeq}.`,
    );
  }
  return { fromSeq, baseCheckpoints };
}

/** Seeds the new version: copies the base's documents (if any), then writes each group's starting checkpoint. */
export async function seedVersion(
  o: VersionsOptions & {
    readonly config: Readonly<TallyConfig>;
    readonly version: number;
    readonly base?: number;
    readonly fromSeq: number;
    readonly baseCheckpoints: readonly Checkpoint[];
  },
): Promise<void> {
  const groups = o.config.streams.partitionGroups;
  if (o.base !== undefined) {
    const collections = (await listVersionCollections(o.db, o.owns)).get(o.base) ?? [];
    for (const name of collections) {
      const logical = parseVersionedCollection(name)?.logical;
      if (logical !== undefined) await copyCollection(o.db, name, versionedCollection(logical, o.version));
    }
  }
  for (let g = 0; g < groups; g++) {
    const base = o.baseCheckpoints.find((cp) => cp._id === checkpointId(o.pipeline, o.base ?? 0, g));
    await seedCheckpoint(o.db, checkpointId(o.pipeline, o.version, g), base?.seq ?? o.fromSeq - 1, groups, {
      appliedEvents: base?.appliedEvents ?? 0,
      deadLetters: base?.deadLetters ?? 0,
    });
  }
}
