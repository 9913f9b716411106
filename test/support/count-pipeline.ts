// A deliberately simple pipeline for engine tests: counts requests per app (group-owned
// documents) and per device (device-owned documents), and honours app resets.
import type { Pipeline, Poisoned } from '../../processors/index.ts';
import type { TallyEvent, WriteOp } from '../../projections/index.ts';

interface CountState {
  readonly perDoc: Readonly<Record<string, { collection: string; appId: string; n: number; lastSeq: number }>>;
  readonly resets: readonly string[];
}

/**
 * Folds events one by one with a pure evolve, isolating failures: an event whose evolve throws
 * is reported as poisoned and the state from before it is kept (evolve never mutates).
 */
function foldIsolated<S>(initial: S, events: readonly TallyEvent[], evolve: (s: S, e: TallyEvent) => S): { state: S; poisoned: Poisoned[] } {
  let state = initial;
  const poisoned: Poisoned[] = [];
  for (const e of events) {
    try {
      state = evolve(state, e);
    } catch (err) {
      // Decision: a fold failure is a poison event, dead-lettered with its reason; the batch goes on.
      poisoned.push({ seq: e.seq, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  return { state, poisoned };
}

function evolve(group: number) {
  return (s: CountState, e: TallyEvent): CountState => {
    if (e.type === 'AppDataReset') {
      const perDoc = Object.fromEntries(Object.entries(s.perDoc).filter(([, v]) => v.appId !== e.appId));
      return { perDoc, resets: [...s.resets, e.appId] };
    }
    if (e.type !== 'SdkRequestReceived') return s;
    if (e.params.poison === 'throw') throw new Error('poison requested by the test');
    const appKey = `app/${e.appId}_g${group}`;
    const devKey = `dev/${e.appId}:${e.deviceId}`;
    const bump = (key: string, collection: string) => ({ collection, appId: e.appId, n: (s.perDoc[key]?.n ?? 0) + 1, lastSeq: e.seq });
    return { ...s, perDoc: { ...s.perDoc, [appKey]: bump(appKey, 'count_apps'), [devKey]: bump(devKey, 'count_devices') } };
  };
}

export const countPipeline: Pipeline<null> = {
  name: 'count',
  owns: (logical) => logical.startsWith('count_'),
  prepare: () => Promise.resolve(null),
  fold(_prepared, events, target) {
    const { state, poisoned } = foldIsolated<CountState>({ perDoc: {}, resets: [] }, events, evolve(target.group));
    const ops: WriteOp[] = [];
    for (const appId of new Set(state.resets))
      for (const c of ['count_apps', 'count_devices']) ops.push({ kind: 'deleteApp', collection: c, appId, scope: 'field' });
    for (const [key, v] of Object.entries(state.perDoc)) {
      ops.push({
        kind: 'upsert',
        collection: v.collection,
        id: key.slice(key.indexOf('/') + 1),
        set: { a: v.appId },
        inc: { n: v.n },
        max: { lastSeq: v.lastSeq },
      });
    }
    return { ops, poisoned };
  },
};
