// Public surface of api/.
export { buildApi, registerApi, registerMetricsOnly } from './build.ts';
export type { ApiDeps } from './deps.ts';
export { ensureAdmin, ensureManagementIndexes } from './bootstrap.ts';
export { createMember, publicMember, type NewMember } from './members.ts';
export { apiErrors, BootstrapError, PeriodTooLongError, QueryRefusedError, StreamUnavailableError } from './errors.ts';
export { guardFilter, guardPath, guardProjection, guardSort, parseJsonParam, safeRegexSource, DEFAULT_GUARD_LIMITS, type GuardLimits } from './query-guard.ts';
export { hasRight, isAppAdmin, readableAppIds, adminAppIds, CORE_FEATURE, type Right } from './rights.ts';
export { pipelineStatus, type ConsumerStatus } from './pipeline-status.ts';
export type { MetricsSource } from './metrics.route.ts';
