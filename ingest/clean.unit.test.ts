import { describe, expect, it } from 'vitest';
import { stripEventKey as cleanEventKey } from '../projections/index.ts';
import { cleanCustomKey, cleanObjectKey } from './clean-keys.ts';
import { cleanParams } from './clean-params.ts';
import { WarningList, paramPath } from './warnings.ts';

const clean = (raw: Record<string, unknown>, maxEvents = 100) => {
  const warnings = new WarningList();
  const result = cleanParams(raw, '', warnings, { maxEvents });
  return { result, params: result.kind === 'ok' ? result.params : undefined, reasons: warnings.items.map((w) => `${w.param}:${w.reason}`) };
};

describe('key rules (spec §2.9, §9.2)', () => {
  it('segment and object keys lose a leading $ run, every dot and NUL', () => {
    expect(cleanObjectKey('$$a.b.c')).toBe('abc');
    expect(cleanObjectKey('.$x')).toBe('x');
    expect(cleanObjectKey('a$b')).toBe('a$b');
    expect(cleanObjectKey('x\u0000y')).toBe('xy');
  });
  it('event keys lose system., .. and $ until nothing is left to remove', () => {
    expect(cleanEventKey('system.login')).toBe('login');
    expect(cleanEventKey('a..b$c')).toBe('abc');
    expect(cleanEventKey('sys$tem.x')).toBe('x');
    expect(cleanEventKey('a.b')).toBe('a.b');
  });
  it('custom user property keys keep dots as colons, like the processors', () => {
    expect(cleanCustomKey('$plan.tier')).toBe('plan:tier');
  });
  it('quotes keys in warning paths when they are not plain', () => {
    expect(paramPath('events[0].segmentation', '$x')).toBe('events[0].segmentation.$x');
    expect(paramPath('events[0].segmentation', 'a.b')).toBe('events[0].segmentation["a.b"]');
    expect(paramPath('', 'metrics')).toBe('metrics');
  });
});

describe('cleanParams', () => {
  it('parses JSON-valued parameters from text and keeps scalars as sent', () => {
    const { params, reasons } = clean({
      app_key: 'k',
      device_id: 'd',
      events: '[{"key":"a","count":"2"}]',
      metrics: '{"_os":"iOS"}',
      session_duration: '-5',
      timestamp: 99999999999999,
    });
    expect(params).toEqual({
      app_key: 'k',
      device_id: 'd',
      events: [{ key: 'a', count: '2' }],
      metrics: { _os: 'iOS' },
      session_duration: '-5',
      timestamp: 99999999999999,
    });
    expect(reasons).toEqual([]);
  });

  it('drops unparsable or mistyped JSON parameters with a warning each', () => {
    const { params, reasons } = clean({ events: '{', metrics: '[1]', user_details: 'null', consent: 5, crash: '"x"' });
    expect(params).toEqual({});
    expect(reasons).toEqual(['events:invalid_json', 'metrics:wrong_type', 'user_details:wrong_type', 'consent:wrong_type', 'crash:wrong_type']);
  });

  it('cleans events one by one', () => {
    const { params, reasons } = clean({
      events: [
        { key: 5, count: 'abc', dur: -3, segmentation: { $a: 1, 'b.c': '', d: { e: 1 }, f: Array.from({ length: 12 }, (_, i) => i) } },
        { key: '' },
        { key: 'k'.repeat(128) },
        null,
        { key: 'ok', segmentation: [] },
      ],
    });
    expect(params?.events).toEqual([{ key: '5', dur: -3, segmentation: { a: 1, f: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] } }, { key: 'ok' }]);
    expect(reasons).toEqual([
      'events[0].count:invalid_number',
      'events[0].segmentation.$a:key_rewritten',
      'events[0].segmentation["b.c"]:key_rewritten',
      'events[0].segmentation["b.c"]:segment_value_empty',
      'events[0].segmentation.d:segment_value_object',
      'events[0].segmentation.f:array_truncated',
      'events[1]:event_key_invalid',
      'events[2]:event_key_too_long',
      'events[3]:event_not_object',
      'events[4].segmentation:wrong_type',
    ]);
  });

  it('keeps the first 100 segments of an event', () => {
    const segmentation = Object.fromEntries(Array.from({ length: 103 }, (_, i) => [`s${i}`, i]));
    const { params, reasons } = clean({ events: [{ key: 'a', segmentation }] });
    expect(params?.events).toEqual([{ key: 'a', segmentation: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`s${i}`, i])) }]);
    expect(reasons).toEqual([
      'events[0].segmentation.s100:segment_limit',
      'events[0].segmentation.s101:segment_limit',
      'events[0].segmentation.s102:segment_limit',
    ]);
  });

  it('reports too many events without cleaning them', () => {
    expect(clean({ events: [{ key: 'a' }, { key: 'b' }] }, 1).result).toEqual({ kind: 'too_many_events', count: 2 });
  });

  it('keeps user_details operators the SDKs send and drops any other $ key', () => {
    const { params, reasons } = clean({
      user_details: { name: 'Ann', custom: { visits: { $inc: 1 }, 'a.b': { $where: 'x', $push: ['y'] }, plain: { $x: 1, y: 2 } }, $set: 1 },
    });
    expect(params?.user_details).toEqual({ name: 'Ann', custom: { visits: { $inc: 1 }, 'a:b': { $push: ['y'] }, plain: { x: 1, y: 2 } }, set: 1 });
    expect(reasons).toEqual([
      'user_details.custom["a.b"]:key_rewritten',
      'user_details.custom["a.b"].$where:unknown_operator',
      'user_details.custom.plain.$x:key_rewritten',
      'user_details.$set:key_rewritten',
    ]);
  });

  it('drops unsafe parameter names, __proto__ keys, mistyped scalars and deep nesting', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { n: deep };
    const raw: Record<string, unknown> = JSON.parse(
      '{"$where":"1","a.b":"2","metrics":{"__proto__":{"x":1},"_os":"iOS"},"begin_session":{"$gt":1},"timestamp":"soon","extra":{"n":1}}',
    );
    const { params, reasons } = clean({ ...raw, crash: { deep } });
    expect(params?.metrics).toEqual({ _os: 'iOS' });
    expect(params?.extra).toEqual({ n: 1 });
    expect(params?.begin_session).toBeUndefined();
    expect(params?.timestamp).toBeUndefined();
    expect(reasons.slice(0, 5)).toEqual([
      '$where:unsafe_param_name',
      '["a.b"]:unsafe_param_name',
      'metrics.__proto__:unsafe_key',
      'begin_session:wrong_type',
      'timestamp:invalid_number',
    ]);
    expect(reasons.at(-1)).toMatch(/^crash\.deep(\.n)+:too_deep$/);
  });
});
