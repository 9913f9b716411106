// Operator actions on projection versions: list them, roll the pointer back to the previous
// version, and prune every version that is neither active nor being rebuilt.
import {
  deleteCheckpoints,
  dropCollections,
  listCheckpoints,
  listVersionCollections,
  readPointer,
  readRebuild,
  switchPointer,
  type ProjectionPointer,
  type ProjectionSwitched,
  type RebuildRecord,
} from '../projections/index.ts';
import { consumerName, eventsStreamName, projectionSwitchedSubject } from '../streams.config.ts';
import { deleteGroupConsumers } from './consumers.ts';
import { RebuildRefusedError } from './errors.ts';
import { checkpointPrefix } from './pipeline.ts';
import { versionsIn } from './rebuild-plan.ts';
import type { LivePipeline, ProcessorsDeps } from './start-processors.ts';

type PipelineRef = LivePipeline['pipeline'];
type AdminDeps = Pick<ProcessorsDeps, 'config' | 'db' | 'nc' | 'jsm' | 'log'>;

export interface VersionInfo {
  readonly version: number;
  readonly role: 'active' | 'previous' | 'rebuilding' | 'inactive';
  readonly collections: number;
  /** Lowest checkpoint sequence over the groups (-1 without checkpoints). */
  readonly appliedSeq: number;
  readonly appliedEvents: number;
}

export interface ProjectionInfo {
  readonly projection: string;
  readonly pointer: ProjectionPointer;
  readonly rebuild: RebuildRecord | null;
  readonly versions: VersionInfo[];
}

export async function describeProjection(deps: AdminDeps, pipeline: PipelineRef): Promise<ProjectionInfo> {
  const pointer = await readPointer(deps.db, pipeline.name);
  const rebuild = await readRebuild(deps.db, pipeline.name);
  const collections = await listVersionCollections(deps.db, (l) => pipeline.owns(l));
  const cps = await listCheckpoints(deps.db, `${pipeline.name}:v`);
  const versions = [...new Set([...versionsIn(collections, cps), pointer.active])].sort((a, b) => a - b);
  const rows = versions.map((version): VersionInfo => {
    const own = cps.filter((cp) => cp._id.startsWith(checkpointPrefix(pipeline.name, version)));
    const role =
      version === pointer.active
        ? 'active'
        : rebuild?.state === 'running' && rebuild.version === version
          ? 'rebuilding'
          : version === pointer.previous
            ? 'previous'
            : 'inactive';
    return {
      version,
      role,
      collections: collections.get(version)?.length ?? 0,
      appliedSeq: own.length === 0 ? -1 : Math.min(...own.map((cp) => cp.seq)),
      appliedEvents: own.reduce((s, cp) => s + cp.appliedEvents, 0),
    };
  });
  return { projection: pipeline.name, pointer, rebuild, versions: rows };
}

function announce(deps: AdminDeps, body: ProjectionSwitched): void {
  deps.nc.publish(projectionSwitchedSubject(deps.config.streams), JSON.stringify(body));
}

/**
 * Points readers back at the previous version. Live processors follow and resume it from its
 * own checkpoints, so it catches up on the events that arrived since it was switched away.
 */
export async function rollbackProjection(deps: AdminDeps, pipeline: PipelineRef): Promise<{ from: number; to: number }> {
  const pointer = await readPointer(deps.db, pipeline.name);
  const to = pointer.previous;
  if (to === null) throw new RebuildRefusedError(`${pipeline.name} has no previous version to roll back to`);
  const collections = await listVersionCollections(deps.db, (l) => pipeline.owns(l));
  if (!collections.has(to)) throw new RebuildRefusedError(`version ${to} of ${pipeline.name} was pruned; rebuild instead`);
  if (!(await switchPointer(deps.db, pipeline.name, pointer.active, to, Date.now())))
    throw new RebuildRefusedError(`the pointer of ${pipeline.name} moved meanwhile; try again`);
  announce(deps, { projection: pipeline.name, version: to });
  deps.log.info({ projection: pipeline.name, from: pointer.active, to }, 'projection rolled back');
  return { from: pointer.active, to };
}

/** Drops every version except the active one and a running rebuild's: collections, checkpoints, consumers. */
export async function pruneProjection(deps: AdminDeps, pipeline: PipelineRef): Promise<number[]> {
  const info = await describeProjection(deps, pipeline);
  const doomed = info.versions.filter((v) => v.role === 'previous' || v.role === 'inactive').map((v) => v.version);
  const collections = await listVersionCollections(deps.db, (l) => pipeline.owns(l));
  const stream = eventsStreamName(deps.config.streams);
  for (const version of doomed) {
    await dropCollections(deps.db, collections.get(version) ?? []);
    await deleteCheckpoints(deps.db, checkpointPrefix(pipeline.name, version));
    for (let g = 0; g < deps.config.streams.partitionGroups; g++) {
      await deleteGroupConsumers(deps.jsm, stream, consumerName(deps.config.streams, `${pipeline.name}_v${version}`, g));
    }
    deps.log.info({ projection: pipeline.name, version }, 'projection version pruned');
  }
  return doomed;
}
