import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../projections/index.ts';
import { checkpointId, groupOfCheckpointId, versionOfCheckpointId } from './pipeline.ts';
import { smoothedRatePerS } from './rebuild-progress.ts';
import { caughtUp } from './rebuild-switch.ts';

const cp = (version: number, group: number, seq: number, sealed = false): Checkpoint => ({
  _id: checkpointId('core', version, group),
  seq,
  pending: sealed ? { batchId: 'b', fromSeq: seq + 1, toSeq: seq + 5, parts: 1, events: 5, deadLetters: 0 } : null,
  groups: 2,
  updatedAtMs: 0,
  appliedEvents: 0,
  deadLetters: 0,
});

describe('checkpoint ids', () => {
  it('names the version and the group of a checkpoint id, and nothing for another shape', () => {
    expect(versionOfCheckpointId('core:v3:g12')).toBe(3);
    expect(groupOfCheckpointId('core:v3:g12')).toBe(12);
    expect(groupOfCheckpointId('core:v3:g0')).toBe(0);
    expect(groupOfCheckpointId('core:v3:')).toBeUndefined();
    expect(groupOfCheckpointId('core:v3:g1x')).toBeUndefined();
  });
});

describe('switch-over: caught up', () => {
  it('given each group of the rebuilt version at or past the frozen one, then it has caught up', () => {
    expect(caughtUp('core', 2, [cp(1, 0, 10), cp(1, 1, 20)], [cp(2, 0, 10), cp(2, 1, 25)])).toBe(true);
  });

  it('given one group behind, missing or with a sealed batch, then it has not', () => {
    expect(caughtUp('core', 2, [cp(1, 0, 10), cp(1, 1, 20)], [cp(2, 0, 10), cp(2, 1, 19)])).toBe(false);
    expect(caughtUp('core', 2, [cp(1, 0, 10), cp(1, 1, 20)], [cp(2, 0, 10)])).toBe(false);
    expect(caughtUp('core', 2, [cp(1, 0, 10)], [cp(2, 0, 10, true)])).toBe(false);
    expect(caughtUp('core', 2, [cp(1, 0, 10, true)], [cp(2, 0, 30)])).toBe(false);
  });

  it('compares a group with the same group only', () => {
    expect(caughtUp('core', 2, [cp(1, 1, 20)], [cp(2, 0, 30), cp(2, 1, 5)])).toBe(false);
  });
});

describe('rebuild progress: rate', () => {
  it('takes the first rate as measured, then smooths 70/30 with the previous one', () => {
    expect(smoothedRatePerS({ done: 0, atMs: 0, ratePerS: 0 }, 500, 1_000)).toBe(500);
    expect(smoothedRatePerS({ done: 500, atMs: 1_000, ratePerS: 500 }, 1_500, 2_000)).toBeCloseTo(0.7 * 500 + 0.3 * 1_000);
    expect(smoothedRatePerS({ done: 500, atMs: 1_000, ratePerS: 0 }, 600, 1_000)).toBe(0);
  });
});
