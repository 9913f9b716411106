// Public surface of projections/: the event contract, errors, folds and the MongoDB store.
export * from './errors.ts';
export * from './events.ts';
export * from './store/index.ts';
export * from './writes.ts';
export { firstUnwritable, unwritableReason, MAX_WRITABLE_MAGNITUDE } from './writable.ts';

// Pure core: request normalisation, shared rules, folds and their write operations.
export { DEFAULT_TIMEZONE, requestTimestampMs, startOfDayS, startOfHourS, startOfMonthS, startOfYearS, timeObject } from './time.ts';
export type { TimeObject } from './time.ts';
export { appUserId, eventHash, md5Base64FirstChar, valueShard, VALUE_SHARDS } from './hash.ts';
export { deviceKeyOf, normalizeRequest, normalizedRequestOf, reportRequestOf, NEGATIVE_DURATION_S, SESSION_DURATION_LIMIT_S } from './request.ts';
export type { NormalizedLocation, NormalizedRequest, ReportRequest } from './request.ts';
export { AGGREGATED_INTERNAL_EVENTS, cleanEventKey, EVENT_KEY_MAX_LENGTH, stripEventKey } from './event-clean.ts';
export type { CleanEvent, CleanSegment } from './event-clean.ts';
export { escapeMetricValue, normalizeMetrics } from './metric-normalize.ts';
export { CITY_FAMILY, METRIC_COLLECTIONS, METRIC_FAMILIES } from './metric-families.ts';
export type { MetricCollection, MetricFamily, MetricField, MetricValues } from './metric-families.ts';
export { applyUserDetails, parseUserDetails, PROFILE_FIELDS } from './user-details.ts';
export type { CustomChange, UserDetails } from './user-details.ts';
export type { Json, JsonObject } from './json.ts';
export {
  deviceStateFromAppUser,
  durationBucket,
  EMPTY_DEVICE,
  frequencyBucket,
  mergeDeviceStates,
  SESSION_COOLDOWN_S,
  stepDevice,
  uniqueLevels,
} from './session-rules.ts';
export type { DeviceState, DeviceStep, SessionStart, UniqueLevels } from './session-rules.ts';
export { appUserMergeId, mergeAppUserDocs } from './app-user-merge.ts';
export { aggregateWriteOps, docKey } from './aggregate-doc.ts';
export type { AggregateCollection, AggregateDoc, PendingDocs, WriteOpsOptions } from './aggregate-doc.ts';
export { DOC_BUDGET_BYTES, EMPTY_META, knownMetaOf, metricValueCostBytes, segmentValueCostBytes } from './known-meta.ts';
export type { KnownMeta } from './known-meta.ts';
export { periodBefore, resetCutoff } from './reset.ts';
export type { ResetCutoff } from './reset.ts';
export { PROJECTION_EVENT_TYPES } from './fold.ts';
export type { FoldEvent } from './fold.ts';
export { evolveSessions, foldSessions, initialSessions, sessionsHandles, usersDocId } from './sessions.fold.ts';
export type { SessionsInputs, SessionsState, UsersVisibility } from './sessions.fold.ts';
export { evolveMetrics, foldMetrics, initialMetrics, METRIC_LIMIT, metricDocId, metricMetaKey, metricsHandles } from './metrics.fold.ts';
export type { MetricsInputs, MetricsState } from './metrics.fold.ts';
export {
  EMPTY_REGISTRY,
  EVENT_LIMIT,
  EVENT_SEGMENTATION_LIMIT,
  EVENT_SEGMENTATION_VALUE_LIMIT,
  evolveEvents,
  eventsHandles,
  foldEvents,
  initialEvents,
  segmentMetaKey,
} from './events.fold.ts';
export type { EventsInputs, EventsState, RegistryEntry } from './events.fold.ts';
export type { EventRegistry } from './registry-draft.ts';
export {
  APP_USER_DELETIONS,
  APP_USER_MERGES,
  appUsersCollection,
  appUsersHandles,
  evolveAppUsers,
  foldAppUsers,
  initialAppUsers,
  metricChangesCollection,
  uidOf,
} from './app-users.fold.ts';
export type { AppUsersInputs, AppUsersState, PendingRecord, UidRange } from './app-users.fold.ts';
export { appUsersWriteOps, documentDiff } from './app-user-writes.ts';
export { applyUserUpdate, checkUserFields, checkUserUpdate, PROTECTED_USER_FIELDS, USER_UPDATE_OPERATORS } from './app-user-ops.ts';
export type { UserChangeRefusal } from './app-user-ops.ts';
export { erasureIndex, isErased, tombstoneFromStored } from './erasure.ts';
export type { ErasableEvent, ErasureIndex, Tombstone } from './erasure.ts';
export { EVENT_REGISTRY_COLLECTION, eventsWriteOps, metricsWriteOps, sessionsWriteOps } from './write-ops.ts';
export {
  appUserFromStored,
  batchInputs,
  devicesFromAppUsers,
  eventRegistryFromStored,
  knownMetricMetaFromStored,
  knownSegmentMetaFromStored,
  uidDemand,
  visibilityFromStored,
} from './batch-inputs.ts';
export type { AppUserToLoad, BatchInputs } from './batch-inputs.ts';
export { AGGREGATE_COLLECTIONS, foldCore, isCoreCollection, resetOps, uidCounterId, UID_SEQUENCES, type CoreBatchInputs } from './core.ts';
export {
  PROJECTIONS,
  rebuildCommand,
  rebuildReply,
  projectionSwitched,
  type ProjectionName,
  type RebuildCommand,
  type RebuildReply,
  type ProjectionSwitched,
} from './control.ts';
export * from './reports/index.ts';
