import { PROJECTIONS, type ProjectionName } from '../projections/index.ts';
import { corePipeline } from './core.pipeline.ts';
import type { LivePipeline } from './start-processors.ts';

/** The pipeline of each projection (projections/control.ts lists them); keyed so none is missing. */
const PIPELINES: { readonly [name in ProjectionName]: LivePipeline } = { core: { pipeline: corePipeline } };

/** Pipelines the processor role runs; each follows its projection pointer across rebuilds. */
export const LIVE_PIPELINES: readonly LivePipeline[] = PROJECTIONS.map((name) => PIPELINES[name]);

/** A live pipeline by projection name (`tally rebuild <projection>`). */
export const livePipeline = (name: string): LivePipeline | undefined => LIVE_PIPELINES.find((p) => p.pipeline.name === name);
