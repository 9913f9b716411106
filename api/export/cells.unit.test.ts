import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { csvLine, flattenDocument, guardCell, projectedCell } from './cells.ts';
import { collectionFileName, contentDisposition, requestFileName } from './formats.ts';
import { rowsOf, toTable } from './table.ts';

describe('flattening (spec §8)', () => {
  it('nested objects, scalar arrays, arrays of objects, ObjectIds, dates, null', () => {
    const id = new ObjectId('0123456789abcdef01234567');
    const row = flattenDocument({
      _id: id,
      a: { b: { c: 1 }, d: true },
      tags: ['x', 2, false],
      list: [{ k: 1 }, [2, 3]],
      when: new Date(Date.UTC(2026, 0, 2)),
      none: null,
    });
    expect({ ...row }).toEqual({
      _id: '0123456789abcdef01234567',
      a_b_c: 1,
      a_d: true,
      tags: 'x, 2, false',
      list_0: '{"k":1}',
      list_1: '[2,3]',
      when: '2026-01-02T00:00:00.000Z',
      none: null,
    });
  });

  it('a __proto__ key stays a column', () => {
    const row = flattenDocument(JSON.parse('{"__proto__": {"x": 1}}'));
    expect(Object.keys(row)).toEqual(['__proto___x']);
  });

  it('the injection guard: @ = + - tab and carriage return get a backtick, other text not', () => {
    for (const t of ['@SUM(A1)', '=1+1', '+1', '-1', '\tx', '\rx']) expect(guardCell(t)).toBe(`\`${t}`);
    for (const t of ['a=1', '', ' =1', '1-']) expect(guardCell(t)).toBe(t);
    expect(flattenDocument({ n: -1 }).n).toBe(-1);
    expect(flattenDocument({ s: ['=x', 'y'] }).s).toBe('`=x, y');
  });

  it('projected cells by dotted path', () => {
    const doc = { a: { b: [1, 2], c: { d: 'x' } } };
    expect(projectedCell(doc, 'a.b')).toBe('1, 2');
    expect(projectedCell(doc, 'a.c')).toBe('{"d":"x"}');
    expect(projectedCell(doc, 'a.zz')).toBeNull();
  });

  it('CSV: quoted strings with doubled quotes, bare numbers and booleans, empty null, CRLF', () => {
    expect(csvLine(['a "b"', 1.5, true, null, 'x\ny'])).toBe('"a ""b""",1.5,true,,"x\ny"\r\n');
  });
});

describe('tables of in-memory data', () => {
  it('an object becomes the array of its values; header first with every column', () => {
    expect(toTable(rowsOf({ x: { a: 1 }, y: { b: 2 } }))).toEqual({
      header: ['a', 'b'],
      rows: [
        [1, null],
        [null, 2],
      ],
    });
  });

  it('a time object becomes one row per day, hours left out', () => {
    const rows = rowsOf({ 2024: { t: 9, w42: { u: 1 }, 10: { t: 3, 17: { t: 2, 8: { t: 1 } }, 5: { t: 1 } } }, meta: { countries: ['TR'] } });
    expect(rows).toEqual([
      { period: '2024-10-05', t: 1 },
      { period: '2024-10-17', t: 2 },
    ]);
  });

  it('projection order and column names', () => {
    expect(toTable([{ a: { b: 1 }, c: 2 }], { projection: ['c', 'a.b'], columnNames: { 'a.b': 'B' } })).toEqual({ header: ['c', 'B'], rows: [[2, 1]] });
  });
});

describe('file names and headers', () => {
  it('defaults', () => {
    const now = Date.UTC(2026, 11, 3, 12);
    expect(collectionFileName('app_usersABC', 0, 10, now)).toBe('App_usersabc_exported_on_03-Dec-2026');
    expect(collectionFileName('members', 20, 10, now)).toBe('Members_from_20_to_30_exported_on_03-Dec-2026');
    expect(requestFileName('/o/analytics', now)).toBe('_o_analytics_on_03-Dec-2026');
    expect(contentDisposition('a b;c', 'stream')).toBe('attachment;filename=a%20b%3Bc.json');
  });
});
