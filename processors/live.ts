import type { LivePipeline } from './start-processors.ts';
import { corePipeline } from './core.pipeline.ts';

/** Pipelines the processor role runs; each follows its projection pointer across rebuilds. */
export const LIVE_PIPELINES: readonly LivePipeline[] = [{ pipeline: corePipeline }];

/** A live pipeline by projection name (`tally rebuild <projection>`). */
export const livePipeline = (name: string): LivePipeline | undefined => LIVE_PIPELINES.find((p) => p.pipeline.name === name);
