// Public surface of processors/.
export { ensureStreams } from './streams.ts';
export { currentGroupConsumer, groupConsumers } from './consumers.ts';
export {
  startProcessors,
  leaseBucketName,
  type IncidentReporter,
  type ProcessorIncident,
  type ProcessorsHandle,
  type ProcessorsDeps,
  type LivePipeline,
} from './start-processors.ts';
export { checkpointId, checkpointPrefix, targetFor, type ForeignRead, type Pipeline, type Target, type FoldResult, type Poisoned } from './pipeline.ts';
export type { AppliedBatch, BatchObserver, GroupStatus } from './runner-context.ts';
export { corePipeline, UID_SEQUENCES } from './core.pipeline.ts';
export { LIVE_PIPELINES, livePipeline } from './live.ts';
export { startRebuild, type RebuildHandle, type RebuildOptions } from './rebuild.ts';
export { rebuildLeaseKey } from './rebuild-lease.ts';
export { knownVersions, type RebuildStart } from './rebuild-plan.ts';
export { serveRebuildCommands, type RebuildService } from './rebuild-service.ts';
export { RebuildBusyError, RebuildRefusedError, UnknownProjectionError } from './errors.ts';
export { describeProjection, pruneProjection, rollbackProjection, type ProjectionInfo, type VersionInfo } from './projection-admin.ts';
export { startReportRunner, KILLED_MESSAGE, type ReportRunner, type ReportRunnerDeps, type NotifyTaskFinished } from './report-runner.ts';
export { runReportJob, historyRefusal, type JobOutcome } from './report-job.ts';
export { autoRefreshDue, cleanupOldTasks, isRefreshDue } from './task-jobs.ts';
