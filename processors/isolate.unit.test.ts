import { describe, expect, it } from 'vitest';
import { FlushFailedError, type WriteOp } from '../projections/index.ts';
import { assertWritable, foldIsolatingPoison } from './isolate.ts';
import type { FoldResult } from './pipeline.ts';

const events = Array.from({ length: 10 }, (_, i) => ({ seq: i + 1, v: i + 1 }));
type E = (typeof events)[number];
const sumOp = (subset: readonly E[]): WriteOp => ({ kind: 'upsert', collection: 'c', id: 'x', inc: { n: subset.reduce((s, e) => s + e.v, 0) } });

describe('foldIsolatingPoison', () => {
  it('sets aside exactly the events that throw, and folds the rest together', async () => {
    let calls = 0;
    const result = await foldIsolatingPoison(events, (subset) => {
      calls += 1;
      if (subset.some((e) => e.seq === 4 || e.seq === 7)) throw new TypeError(`bad ${subset.find((e) => e.seq === 4 || e.seq === 7)?.seq}`);
      return Promise.resolve({ ops: [sumOp(subset)], poisoned: [] });
    });
    expect(result.poisoned).toEqual([
      { seq: 4, reason: 'TypeError: bad 4' },
      { seq: 7, reason: 'TypeError: bad 7' },
    ]);
    expect(result.ops).toEqual([sumOp(events.filter((e) => e.seq !== 4 && e.seq !== 7))]);
    // Bisection: far fewer folds than one per event and pair.
    expect(calls).toBeLessThanOrEqual(12);
  });

  it('blames the event that makes a write unstorable together with earlier ones', async () => {
    const big = events.map((e) => ({ ...e, v: e.seq === 3 || e.seq === 8 ? 1e200 : e.v }));
    const result = await foldIsolatingPoison(big, (subset) => Promise.resolve(assertWritable({ ops: [sumOp(subset)], poisoned: [] })));
    expect(result.poisoned.map((p) => p.seq)).toEqual([8]);
    expect(result.poisoned[0]?.reason).toMatch(/^UnwritableFoldError: c\/x: n: .* too large to store/);
    expect(result.ops).toEqual([sumOp(big.filter((e) => e.seq !== 8))]);
  });

  it('passes infrastructure failures through for the runner to retry', async () => {
    const attempt = (): Promise<FoldResult> => Promise.reject(new FlushFailedError('core inputs'));
    await expect(foldIsolatingPoison(events, attempt)).rejects.toBeInstanceOf(FlushFailedError);
  });

  it('keeps the poison a pipeline reports itself', async () => {
    const result = await foldIsolatingPoison(events, (subset) =>
      Promise.resolve({ ops: [], poisoned: subset.filter((e) => e.seq === 2).map((e) => ({ seq: e.seq, reason: 'own' })) }),
    );
    expect(result.poisoned).toEqual([{ seq: 2, reason: 'own' }]);
  });
});
