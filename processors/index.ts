// Public surface of processors/.
export { ensureStreams } from './streams.ts';
export { startProcessors, checkpointId, leaseBucketName, type ProcessorsHandle, type ProcessorsDeps, type LivePipeline } from './main.ts';
export { foldIsolated, targetFor, type Pipeline, type Target, type FoldResult, type Poisoned } from './pipeline.ts';
export type { GroupStatus } from './group-runner.ts';
export { corePipeline, UID_SEQUENCES } from './core.pipeline.ts';
export { LIVE_PIPELINES } from './live.ts';
