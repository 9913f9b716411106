import { describe, expect, it } from 'vitest';
import { unwritableReason } from './writable.ts';
import { dict, own } from './dict.ts';

describe('unwritableReason', () => {
  const op = (fields: object) => ({ kind: 'upsert' as const, collection: 'c', id: 'i', ...fields });
  it('accepts a huge value that is set, not summed', () => {
    expect(unwritableReason(op({ set: { custom: { n: 1.7976931348623157e308 } }, max: { m: 1e300 } }))).toBeUndefined();
  });
  it('accepts ordinary counters, sets and nested objects', () => {
    expect(unwritableReason(op({ inc: { 'd.1.c': 2, 'd.1.s': -3.5 }, set: { a: 'x', custom: { k: [1, 'v'] } }, unset: ['x.y'] }))).toBeUndefined();
  });
  it.each([
    [{ inc: { 'd.1.s': Infinity } }, /Infinity is not a finite number/],
    [{ inc: { 'd.1.s': NaN } }, /NaN is not a finite number/],
    [{ inc: { 'd.1.s': -1e201 } }, /too large to store/],
    [{ set: { custom: { deep: { n: -Infinity } } } }, /custom\.deep\.n: .*not a finite number/],
    [{ set: { 'd.$x': 1 } }, /field path .* is not storable/],
    [{ inc: { 'd..c': 1 } }, /field path .* is not storable/],
    [{ set: { custom: { $where: 1 } } }, /key "\$where" is not storable/],
    [{ set: { custom: { 'a.b': 1 } } }, /key "a.b" is not storable/],
    [{ unset: ['custom.$x'] }, /field path/],
  ])('refuses %j', (fields, reason) => {
    expect(unwritableReason(op(fields))).toMatch(reason);
  });
});

describe('dict and own', () => {
  it('treat prototype names as plain keys', () => {
    const d = dict<number>();
    expect(d['constructor']).toBeUndefined();
    d['__proto__'] = 1;
    d['constructor'] = 2;
    expect(Object.keys(d)).toEqual(['__proto__', 'constructor']);
    expect(own({}, 'toString')).toBeUndefined();
    expect(own({ toString: 3 }, 'toString')).toBe(3);
  });
});

describe('custom $inc and $mul', () => {
  it('leave a property as it was when the result could not be stored', async () => {
    const { applyUserDetails, parseUserDetails } = await import('./user-details.ts');
    const mul = parseUserDetails({ custom: { n: { $mul: 1e150 } } })!;
    let doc = applyUserDetails({ custom: { n: 1e100 } }, mul);
    expect(doc.custom).toEqual({ n: 1e100 });
    doc = applyUserDetails({ custom: { n: 2 } }, mul);
    expect(doc.custom).toEqual({ n: 2e150 });
  });
});

describe('stripEdgeSpace', () => {
  it('trims white space FerretDB refuses and writes lone surrogates as BSON will', async () => {
    const { stripEdgeSpace } = await import('./json.ts');
    expect(stripEdgeSpace(' a b\u3000')).toBe('a b');
    expect(stripEdgeSpace('\ud800x\udc00')).toBe('\ufffdx\ufffd');
    expect(stripEdgeSpace('\ud83d\ude42')).toBe('\ud83d\ude42');
    expect(unwritableReason({ kind: 'upsert', collection: 'c', id: 'i', set: { custom: { '\ud800': 1 } } })).toMatch(/not storable/);
  });
});
