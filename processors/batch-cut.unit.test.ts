import { describe, expect, it } from 'vitest';
import { partitionOf } from '../projections/index.ts';
import { eventSubject, loadConfig } from '../streams.config.ts';
import { cutChunks, freshInOrder, lastBySeq } from './batch-cut.ts';
import { crossGroupReads } from './foreign-reads.ts';

type Item = { readonly seq: number; readonly kind: 'plain' | 'reset' | 'merge' };
const items = (spec: string): Item[] => [...spec].map((c, i) => ({ seq: i + 1, kind: c === 'R' ? 'reset' : c === 'M' ? 'merge' : 'plain' }));
const rules = { endsChunk: (i: Item) => i.kind === 'reset', startsChunk: (i: Item) => i.kind === 'merge' };
/** Chunks written back as the spec letters, e.g. ['..R', 'M.']. */
const cut = (spec: string): string[] => cutChunks(items(spec), rules).map((c) => c.map((i) => spec[i.seq - 1]).join(''));

describe('cutChunks', () => {
  it('given nothing to cut at, then the batch is one chunk', () => {
    expect(cut('....')).toEqual(['....']);
    expect(cut('')).toEqual([]);
  });

  it('given a reset, then the chunk ends after it', () => {
    expect(cut('..R..')).toEqual(['..R', '..']);
    expect(cut('R')).toEqual(['R']);
  });

  it('given a cross-group merge, then it starts its own chunk, keeping stream order', () => {
    expect(cut('..M..')).toEqual(['..', 'M..']);
    expect(cut('M..M')).toEqual(['M..', 'M']);
    expect(cut('MM')).toEqual(['M', 'M']);
    expect(
      cutChunks(items('.M.M.'), rules)
        .flat()
        .map((i) => i.seq),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it('given a reset right before a merge, then no empty chunk appears', () => {
    expect(cut('.RM.')).toEqual(['.R', 'M.']);
    expect(cut('.MR.')).toEqual(['.', 'MR', '.']);
  });
});

describe('crossGroupReads', () => {
  const streams = loadConfig({ streams: { partitions: 8, partitionGroups: 2 } }).streams;
  const groupOf = (device: string) => partitionOf(device, streams.partitions) % streams.partitionGroups;
  const deviceIn = (group: number) => Array.from({ length: 100 }, (_, i) => `dev-${i}`).find((d) => groupOf(d) === group)!;

  it('keeps the reads of devices in other groups, with the group and the subject of their partition', () => {
    const other = deviceIn(1);
    const reads = crossGroupReads([{ seq: 7, appId: 'app1', deviceId: other }], streams, 0);
    const partition = partitionOf(other, streams.partitions);
    expect(reads).toEqual([{ seq: 7, appId: 'app1', deviceId: other, group: 1, partition, subject: eventSubject(streams, 'app1', partition) }]);
  });

  it("drops reads of devices in the reader's own group (stream order already holds there)", () => {
    expect(crossGroupReads([{ seq: 7, appId: 'app1', deviceId: deviceIn(0) }], streams, 0)).toEqual([]);
    expect(crossGroupReads([{ seq: 9, appId: 'app1', deviceId: deviceIn(1) }], streams, 1)).toEqual([]);
  });
});

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
