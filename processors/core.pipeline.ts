// The live core pipeline: sessions/users, metric families, events and app users, folded together.
import type { Db } from 'mongodb';
import {
  batchInputs,
  deviceKeyOf,
  foldCore,
  isCoreCollection,
  loadCoreInputs,
  normalizedRequestOf,
  readUidCounters,
  uidDemand,
  UID_SEQUENCES,
  type CoreBatchInputs,
  type TallyEvent,
  type UidRange,
} from '../projections/index.ts';
import type { FoldResult, ForeignRead, Pipeline, Target } from './pipeline.ts';

export { UID_SEQUENCES };

/** Devices of the batch's own events (an `old_device_id` may be another group's). */
function ownDevices(events: readonly TallyEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.type !== 'SdkRequestReceived') continue;
    const req = normalizedRequestOf(e);
    out.add(deviceKeyOf(req.appId, req.deviceId));
  }
  return out;
}

async function prepare(db: Db, events: readonly TallyEvent[], target: Target): Promise<CoreBatchInputs> {
  const absent = target.absent?.bind(target);
  const known = absent === undefined ? undefined : { absent, ownDevices: ownDevices(events) };
  const loaded = await loadCoreInputs(db, batchInputs(events), (c) => target.collectionName(c), target.group, known);
  const demand = uidDemand(events, (key) => loaded.users[key] !== null && loaded.users[key] !== undefined);
  const needing = Object.keys(demand).filter((appId) => (demand[appId] ?? 0) > 0);
  const issued = await readUidCounters(db, target.collectionName(UID_SEQUENCES), needing, target.group, target.groups);
  const uids: Record<string, UidRange> = {};
  for (const appId of needing) {
    // Group g of G issues g+1, g+1+G, ...: unique across groups, fixed by the group's stream order.
    const n = issued[appId] ?? 0;
    const first = n * target.groups + target.group + 1;
    uids[appId] = { next: first, end: first + (demand[appId] ?? 0) * target.groups, step: target.groups, issued: n };
  }
  return { ...loaded, uids };
}

/** Folds the batch in one pass; a poison event throws, and the runner isolates it (isolate.ts). */
function fold(inputs: CoreBatchInputs, events: readonly TallyEvent[], target: Target): FoldResult {
  return { ops: foldCore(inputs, events, target.group), poisoned: [] };
}

/** Device-id changes with merge (§6.4): the fold reads the user of `old_device_id`. */
export function foreignReads(events: readonly TallyEvent[]): ForeignRead[] {
  const reads: ForeignRead[] = [];
  for (const e of events) {
    if (e.type !== 'SdkRequestReceived') continue;
    const req = normalizedRequestOf(e);
    if (req.oldDeviceId !== null) reads.push({ seq: e.seq, appId: req.appId, deviceId: req.oldDeviceId });
  }
  return reads;
}

export const corePipeline: Pipeline<CoreBatchInputs> = { name: 'core', owns: isCoreCollection, prepare, fold, foreignReads };
