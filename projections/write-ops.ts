// Fold states → the store's plain write operations (projections/writes.ts).
import { aggregateWriteOps, type WriteOpsOptions } from './aggregate-doc.ts';
import type { EventsState } from './events.fold.ts';
import type { MetricsState } from './metrics.fold.ts';
import type { SessionsState } from './sessions.fold.ts';
import type { UpsertOp } from './writes.ts';

/** Collection of the per-app event registries (`method=get_events`). */
export const EVENT_REGISTRY_COLLECTION = 'events';

/** Upserts of the pending `users` documents. */
export const sessionsWriteOps = (state: SessionsState, options: WriteOpsOptions = {}): UpsertOp[] => aggregateWriteOps(state.docs, options);

/** Upserts of the pending metric documents (carriers, devices, device_details, langs, density). */
export const metricsWriteOps = (state: MetricsState, options: WriteOpsOptions = {}): UpsertOp[] => aggregateWriteOps(state.docs, options);

/**
 * Upserts of the pending `events_data` documents and of the registries: one document per app
 * (`_id` = app id + idSuffix) with `a` and the new `list.<hash>` / `segments.<hash>.<seg>` entries.
 */
export function eventsWriteOps(state: EventsState, options: WriteOpsOptions = {}): UpsertOp[] {
  const registries: UpsertOp[] = Object.entries(state.registryAdds).map(([appId, adds]) => ({
    kind: 'upsert',
    collection: EVENT_REGISTRY_COLLECTION,
    id: appId + (options.idSuffix ?? ''),
    set: { a: appId, ...adds },
  }));
  return [...aggregateWriteOps(state.docs, options), ...registries];
}
