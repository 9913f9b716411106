// §2.4 uids as the core fold issues them from the ranges the processor reserves
// (processors/core.pipeline.ts): with one partition group, Countly's dense sequence.
import { describe, expect, it } from 'vitest';
import { foldCore, UID_SEQUENCES, type CoreBatchInputs } from './core.ts';
import { APP, request, reset } from './given.test-support.ts';
import type { UpsertOp, WriteOp } from './writes.ts';

const inputs = (issued: number, demand: number): CoreBatchInputs => ({
  users: {},
  visibility: {},
  knownMetrics: {},
  registries: {},
  knownSegments: {},
  // One group (G = 1): the batch may issue issued+1 … issued+demand, one apart.
  uids: { [APP]: { next: issued + 1, end: issued + 1 + demand, step: 1, issued } },
});
const upserts = (ops: readonly WriteOp[], collection: string): UpsertOp[] =>
  ops.filter((op): op is UpsertOp => op.kind === 'upsert' && op.collection === collection);
const uidsOf = (ops: readonly WriteOp[]): Record<string, unknown> =>
  Object.fromEntries(upserts(ops, `app_users${APP}`).map((op) => [String(op.set?.did), op.set?.uid]));

describe('uids with one partition group (§2.4)', () => {
  it('given a fresh app, when three devices are first seen, then they get "1", "2", "3" in that order and the counter reads 3', () => {
    const ops = foldCore(
      inputs(0, 3),
      [
        request('2024-10-15T08:00:00Z', {}, { device: 'c' }),
        request('2024-10-15T08:01:00Z', {}, { device: 'a' }),
        request('2024-10-15T08:02:00Z', {}, { device: 'b' }),
      ],
      0,
    );
    expect(uidsOf(ops)).toEqual({ c: '1', a: '2', b: '3' });
    expect(upserts(ops, UID_SEQUENCES).map((op) => op.set)).toEqual([{ a: APP, n: 3 }]);
  });

  it('given 61 uids issued, when two more devices come, then they get "Z" and "10" (base 62)', () => {
    const ops = foldCore(inputs(60, 2), [request('2024-10-15T08:00:00Z', {}, { device: 'x' }), request('2024-10-15T08:01:00Z', {}, { device: 'y' })], 0);
    expect(uidsOf(ops)).toEqual({ x: 'Z', y: '10' });
  });

  it('given an app reset in the batch, then the counter is written back as 0, so the next device gets "1"', () => {
    const ops = foldCore({ ...inputs(7, 0) }, [reset('reset', '2024-10-15T08:00:00Z')], 0);
    expect(upserts(ops, UID_SEQUENCES).map((op) => op.set)).toEqual([{ a: APP, n: 0 }]);
    expect(uidsOf(foldCore(inputs(0, 1), [request('2024-10-15T09:00:00Z', {}, { device: 'after' })], 0))).toEqual({ after: '1' });
  });
});
