import { describe, expect, it } from 'vitest';
import { freshInOrder, lastBySeq } from './group-runner.ts';

const m = (...seqs: number[]) => seqs.map((seq) => ({ seq }));

describe('batch hygiene', () => {
  it('given a redelivered copy in the same batch, when filtered, then each sequence is folded once', () => {
    expect(freshInOrder(m(11, 12, 13, 12, 14, 11), 10)).toEqual(m(11, 12, 13, 14));
  });

  it('given redeliveries of applied messages out of order, when filtered, then only later ones remain, in stream order', () => {
    expect(freshInOrder(m(9, 15, 3, 12, 10), 10)).toEqual(m(12, 15));
  });

  it('acks the highest sequence of a chunk, wherever it sits', () => {
    expect(lastBySeq(m(21, 25, 22))).toEqual({ seq: 25 });
    expect(lastBySeq([])).toBeUndefined();
  });
});
