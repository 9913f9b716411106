// The core projections folded together over one batch: sessions/users, metric families,
// events and app users. Pure: inputs are what the processor loaded for the batch
// (store/core-inputs.store.ts), output is the batch's write operations.
import {
  APP_USER_DELETIONS,
  APP_USER_MERGES,
  appUsersCollection,
  foldAppUsers,
  initialAppUsers,
  metricChangesCollection,
  type UidRange,
} from './app-users.fold.ts';
import { appUsersWriteOps } from './app-user-writes.ts';
import { devicesFromAppUsers } from './batch-inputs.ts';
import type { EventRegistry } from './registry-draft.ts';
import { foldEvents, initialEvents } from './events.fold.ts';
import type { AppDataReset } from './events.ts';
import type { FoldEvent } from './fold.ts';
import type { JsonObject } from './json.ts';
import type { KnownMeta } from './known-meta.ts';
import { METRIC_COLLECTIONS } from './metric-families.ts';
import { foldMetrics, initialMetrics } from './metrics.fold.ts';
import { periodBefore, resetCutoff } from './reset.ts';
import { foldSessions, initialSessions } from './sessions.fold.ts';
import { EVENT_REGISTRY_COLLECTION, eventsWriteOps, metricsWriteOps, sessionsWriteOps } from './write-ops.ts';
import type { DeleteAppOp, WriteOp } from './writes.ts';

export interface CoreBatchInputs {
  readonly users: Readonly<Record<string, JsonObject | null>>;
  readonly visibility: Readonly<Record<string, Readonly<Record<string, true>>>>;
  readonly knownMetrics: Readonly<Record<string, KnownMeta>>;
  readonly registries: Readonly<Record<string, EventRegistry>>;
  readonly knownSegments: Readonly<Record<string, KnownMeta>>;
  readonly uids: Readonly<Record<string, UidRange>>;
}

/** Per-app, per-group uid counters of a projection version (`<appId>:g<group>` → `n` issued). */
export const UID_SEQUENCES = 'uid_sequences';

/** Id of a group's uid counter for an app. */
export const uidCounterId = (appId: string, group: number): string => `${appId}:g${group}`;

/**
 * Writes back the uid counters the batch moved, with the batch's other writes: a batch that
 * crashes before it is applied issues the same uids when it is folded again.
 */
function uidCounterOps(initial: Readonly<Record<string, UidRange>>, final: Readonly<Record<string, UidRange>>, group: number): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const [appId, end] of Object.entries(final)) {
    const start = initial[appId];
    const wasReset = end.issued === 0 && end.next === 1 && end.end === 1 && start !== end;
    let n: number | undefined;
    if (wasReset) n = 0;
    else if (start?.issued !== undefined && end.next !== start.next) n = start.issued + (end.next - start.next) / (start.step ?? 1);
    if (n !== undefined) ops.push({ kind: 'upsert', collection: UID_SEQUENCES, id: uidCounterId(appId, group), set: { a: appId, n } });
  }
  return ops;
}

/** Aggregate collections that hold `a` (app id) and `m` (period) on every document. */
export const AGGREGATE_COLLECTIONS = ['users', ...METRIC_COLLECTIONS, 'events_data'] as const;

/** True for the logical collections the core projection writes (used to list and prune versions). */
export function isCoreCollection(logical: string): boolean {
  const fixed: readonly string[] = [...AGGREGATE_COLLECTIONS, EVENT_REGISTRY_COLLECTION, UID_SEQUENCES, APP_USER_MERGES, APP_USER_DELETIONS];
  return fixed.includes(logical) || logical.startsWith(appUsersCollection('')) || logical.startsWith(metricChangesCollection(''));
}

/** Periods `YYYY:M` and `YYYY:0` from 2000 up to a reset cutoff that the reset removes. */
function periodsBefore(cutoff: NonNullable<ReturnType<typeof resetCutoff>>): string[] {
  const out: string[] = [];
  for (let year = 2000; year <= cutoff.year; year++) {
    for (let month = 0; month <= 12; month++) if (periodBefore(`${year}:${month}`, cutoff)) out.push(`${year}:${month}`);
  }
  return out;
}

/** Store-side effect of a reset (§5.2): what the folds dropped from state, dropped from the database too. */
export function resetOps(reset: AppDataReset): DeleteAppOp[] {
  const cutoff = resetCutoff(reset);
  const appId = reset.appId;
  if (cutoff !== null) {
    const periods = periodsBefore(cutoff);
    return AGGREGATE_COLLECTIONS.map((collection) => ({ kind: 'deleteApp', collection, appId, scope: 'field', periods }));
  }
  return [
    ...[...AGGREGATE_COLLECTIONS, EVENT_REGISTRY_COLLECTION].map((collection): DeleteAppOp => ({ kind: 'deleteApp', collection, appId, scope: 'field' })),
    { kind: 'deleteApp', collection: appUsersCollection(appId), appId, scope: 'collection' },
    { kind: 'deleteApp', collection: metricChangesCollection(appId), appId, scope: 'collection' },
  ];
}

/** Suffix of the aggregate documents a partition group owns: `<id>_g<group>`. */
export const groupIdSuffix = (group: number): string => `_g${group}`;

/** Folds a batch through every core projection. `group` suffixes shared aggregate ids (one writer per document). */
export function foldCore(inputs: CoreBatchInputs, events: readonly FoldEvent[], group: number): WriteOp[] {
  const devices = devicesFromAppUsers(inputs.users);
  const sessions = foldSessions(initialSessions({ devices, visibility: inputs.visibility }), events);
  const metrics = foldMetrics(initialMetrics({ devices, known: inputs.knownMetrics }), events);
  const evs = foldEvents(initialEvents({ registries: inputs.registries, known: inputs.knownSegments }), events);
  const appUsers = foldAppUsers(initialAppUsers({ users: inputs.users, uids: inputs.uids }), events);
  if (appUsers.uidShortfall.length > 0) throw new Error(`uid reservation too small for ${appUsers.uidShortfall.length} devices`);
  const idSuffix = groupIdSuffix(group);
  const resets = events.flatMap((e) => (e.type === 'AppDataReset' ? resetOps(e) : []));
  return [
    ...resets,
    ...sessionsWriteOps(sessions, { idSuffix }),
    ...metricsWriteOps(metrics, { idSuffix }),
    ...eventsWriteOps(evs, { idSuffix }),
    ...appUsersWriteOps(appUsers),
    ...uidCounterOps(inputs.uids, appUsers.uids, group),
  ];
}
