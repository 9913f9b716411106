import { describe, expect, it } from 'vitest';
import { revealUsersDocs } from './users-reveal.ts';

describe('users reveal (§3.8: store, then reveal)', () => {
  it('given hidden counts of a shard nobody saw a session of, then the document is not shown at all', () => {
    expect(revealUsersDocs([{ m: '2024:10', h: { A: { 15: { e: 1 } } } }])).toEqual([]);
  });

  it('given a shard visible in the period, then its hidden counts add into d, also from another group document', () => {
    const docs = revealUsersDocs([
      { m: '2024:10', d: { 15: { e: 1, t: 1, 8: { e: 1 } } }, vis: { A: true } },
      { m: '2024:10', h: { A: { 15: { e: 2, 8: { e: 2 } } }, B: { 15: { e: 5 } } } },
      { m: '2024:11', h: { A: { 1: { e: 9 } } } },
    ]);
    expect(docs).toEqual([
      { m: '2024:10', d: { 15: { e: 1, t: 1, 8: { e: 1 } } } },
      { m: '2024:10', d: { 15: { e: 2, 8: { e: 2 } } } },
    ]);
  });

  it('given hidden year-level duration buckets of a visible shard, then they show with their d-ranges flags', () => {
    const [year] = revealUsersDocs([
      { m: '2024:0', d: { u: 1 }, vis: { A: true }, meta_v2: { countries: { TR: true } }, h: { A: { ds: { 2: 1 }, 10: { ds: { 2: 1 } } } } },
    ]);
    expect(year).toEqual({ m: '2024:0', d: { u: 1, ds: { 2: 1 }, 10: { ds: { 2: 1 } } }, meta_v2: { countries: { TR: true }, 'd-ranges': { 2: true } } });
  });

  it('given a prototype name as a shard key, then it is plain data and the input is not mutated', () => {
    const input = { m: '2024:10', d: { 1: { e: 1 } }, vis: { constructor: true }, h: { constructor: { 1: { e: 1 } } } };
    const frozen = JSON.parse(JSON.stringify(input)) as typeof input;
    expect(revealUsersDocs([input])).toEqual([{ m: '2024:10', d: { 1: { e: 2 } } }]);
    expect(input).toEqual(frozen);
  });
});
