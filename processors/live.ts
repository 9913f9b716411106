import type { LivePipeline } from './main.ts';
import { corePipeline } from './core.pipeline.ts';

/** Pipelines the processor role runs, with the projection version live traffic writes. */
export const LIVE_PIPELINES: readonly LivePipeline[] = [{ pipeline: corePipeline, version: 1 }];
