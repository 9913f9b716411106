import { describe, expect, it } from 'vitest';
import { FirstWrites, insertedDocument } from './first-writes.ts';

describe('insertedDocument', () => {
  it('builds what an upsert creates: every operator sets its path, nested objects on dotted paths', () => {
    const doc = insertedDocument(
      {
        kind: 'upsert',
        collection: 'events_data',
        id: 'a_e_s_2026:11_3_g0',
        set: { a: 'a', m: '2026:11', 'meta_v2.seg.red': true },
        setOnInsert: { fs: 5 },
        inc: { 'd.15.red.c': 2, 'd.15.red.s': 1.5, 'd.16.blue.c': 1 },
        max: { ls: 9 },
        min: { first: 3 },
        unset: ['gone'],
      },
      { _s: 42, _g: 0 },
    );
    expect(doc).toEqual({
      _id: 'a_e_s_2026:11_3_g0',
      a: 'a',
      m: '2026:11',
      meta_v2: { seg: { red: true } },
      fs: 5,
      d: { 15: { red: { c: 2, s: 1.5 } }, 16: { blue: { c: 1 } } },
      ls: 9,
      first: 3,
      _s: 42,
      _g: 0,
    });
  });
});

describe('FirstWrites', () => {
  it('calls a document new until it is written, per collection', () => {
    const t = new FirstWrites();
    expect(t.isNew('users', 'x')).toBe(true);
    t.wrote('users', ['x']);
    expect(t.isNew('users', 'x')).toBe(false);
    expect(t.isNew('devices', 'x')).toBe(true);
  });

  it('after forget, calls nothing new', () => {
    const t = new FirstWrites();
    t.forget();
    expect(t.isNew('users', 'never-written')).toBe(false);
  });
});
