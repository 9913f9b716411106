// What the engine runs: a pipeline loads the state its folds need for a batch (one query per
// kind, never one per event), folds the batch purely, and returns plain write operations.
import type { Db } from 'mongodb';
import type { TallyEvent, WriteOp } from '../projections/index.ts';

/**
 * Where a pipeline writes: a projection version, its physical collection names, and the
 * partition group whose runner writes. Aggregate documents shared by many devices must carry
 * the group in their id (`..._g<group>`): each document then has one writer, and readers sum
 * the group documents of a bucket.
 */
export interface Target {
  /** Projection version; collections are suffixed `_v<version>`. */
  readonly version: number;
  readonly group: number;
  /** Number of partition groups (uid sequences interleave by group). */
  readonly groups: number;
  collectionName(logical: string): string;
  /**
   * True for a document (physical collection, id) of this group that certainly does not exist:
   * a rebuild into an empty version knows what it has written (FirstWrites). Absent: unknown.
   */
  absent?(collection: string, id: string): boolean;
}

export const targetFor = (version: number, group: number, groups: number): Target => ({
  version,
  group,
  groups,
  collectionName: (logical) => `${logical}_v${version}`,
});

/** Prefix of the checkpoint ids of one (pipeline, projection version): `<pipeline>:v<version>:`. */
export const checkpointPrefix = (pipeline: string, version: number): string => `${pipeline}:v${version}:`;

/** Checkpoint document id of one (pipeline, projection version, partition group). */
export const checkpointId = (pipeline: string, version: number, group: number): string => `${checkpointPrefix(pipeline, version)}g${group}`;

/** The projection version a checkpoint id names; undefined for an id of another shape. */
export function versionOfCheckpointId(id: string): number | undefined {
  const v = Number(/^[^:]+:v(\d+):/.exec(id)?.[1]);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** The partition group a checkpoint id names; undefined for an id of another shape. */
export function groupOfCheckpointId(id: string): number | undefined {
  const g = Number(/^[^:]+:v\d+:g(\d+)$/.exec(id)?.[1]);
  return Number.isInteger(g) && g >= 0 ? g : undefined;
}

export interface Poisoned {
  readonly seq: number;
  readonly reason: string;
}

export interface FoldResult {
  readonly ops: WriteOp[];
  /** Events the fold could not apply; they go to the dead-letter stream. */
  readonly poisoned: Poisoned[];
}

/**
 * An event whose fold reads another device's state: a device-id change with merge reads the
 * user of `old_device_id`. That device's events may belong to another partition group, whose
 * runner applies them at its own pace.
 */
export interface ForeignRead {
  /** Stream sequence of the reading event. */
  readonly seq: number;
  readonly appId: string;
  /** The device whose state is read. */
  readonly deviceId: string;
}

export interface Pipeline<Prepared> {
  /** Consumer, checkpoint and projection name, e.g. `core`. */
  readonly name: string;
  /** True for the logical collections this pipeline writes (listing and pruning versions). */
  owns(logical: string): boolean;
  /** Reads what the fold needs for these events (per-device state, registries). */
  prepare(db: Db, events: readonly TallyEvent[], target: Target): Promise<Prepared>;
  /** Pure: folds the events (in stream order) and returns the writes. */
  fold(prepared: Prepared, events: readonly TallyEvent[], target: Target): FoldResult;
  /**
   * Events (in stream order) whose fold reads another device's state. The runner folds each
   * one, at the start of its own chunk, only once that device's group has applied every event
   * of the device's partition that comes before it (docs/exactly-once.md, "Merges across
   * partition groups"). Absent: the pipeline reads only the state of each event's own device.
   */
  foreignReads?(events: readonly TallyEvent[]): ForeignRead[];
}
