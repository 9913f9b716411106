// Edge defences of the security review: prototype property names never become keys, and event
// and user-property numbers stay within bounds whose sums cannot overflow a double.
import { describe, expect, it } from 'vitest';
import { isPrototypeKey, PROTOTYPE_KEYS } from './clean-keys.ts';
import { MAX_EVENT_AMOUNT, MAX_EVENT_COUNT, MAX_CUSTOM_OPERAND } from './clean-numbers.ts';
import { cleanParams } from './clean-params.ts';
import { WarningList } from './warnings.ts';

const clean = (raw: Record<string, unknown>) => {
  const warnings = new WarningList();
  const result = cleanParams(raw, '', warnings, { maxEvents: 100 });
  return { params: result.kind === 'ok' ? result.params : undefined, reasons: warnings.items.map((w) => `${w.param}:${w.reason}`) };
};

/** Every own property name of Object.prototype, as the running engine has them, plus `prototype`. */
const ENGINE_NAMES = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

describe('prototype property names', () => {
  it('cover every own property of Object.prototype and `prototype`', () => {
    for (const name of ENGINE_NAMES) expect(isPrototypeKey(name), name).toBe(true);
    expect(PROTOTYPE_KEYS.size).toBeGreaterThanOrEqual(13);
    expect(isPrototypeKey('Constructor')).toBe(false);
    expect(isPrototypeKey('proto')).toBe(false);
  });

  it('are dropped as segment keys, also when cleaning would produce one', () => {
    const segmentation = JSON.parse('{"constructor":"x","__proto__":"y","$toString":"z","value.Of":"w","prototype":"p","ok":"1"}') as Record<string, unknown>;
    const { params, reasons } = clean({ events: [{ key: 'e', count: 1, segmentation }] });
    expect(params?.events).toEqual([{ key: 'e', count: 1, segmentation: { ok: '1' } }]);
    expect(reasons).toEqual([
      'events[0].segmentation.constructor:unsafe_key',
      'events[0].segmentation.__proto__:unsafe_key',
      'events[0].segmentation.$toString:unsafe_key',
      'events[0].segmentation["value.Of"]:unsafe_key',
      'events[0].segmentation.prototype:unsafe_key',
    ]);
  });

  it('are dropped as custom user-property keys; values naming them are kept', () => {
    const { params, reasons } = clean({ user_details: { custom: { constructor: 'x', $hasOwnProperty: { $inc: 1 }, plan: 'constructor' } } });
    expect(params?.user_details).toEqual({ custom: { plan: 'constructor' } });
    expect(reasons).toEqual(['user_details.custom.constructor:unsafe_key', 'user_details.custom.$hasOwnProperty:unsafe_key']);
  });

  it('drop the whole event when they are its key, as sent or after cleaning', () => {
    const { params, reasons } = clean({ events: [{ key: 'constructor' }, { key: '$__proto__' }, { key: 'toString', count: 2 }, { key: 'ok' }] });
    expect(params?.events).toEqual([{ key: 'ok' }]);
    expect(reasons).toEqual(['events[0].key:unsafe_key', 'events[1].key:unsafe_key', 'events[2].key:unsafe_key']);
  });

  it('are dropped as keys anywhere inside a parameter and as parameter names', () => {
    const { params, reasons } = clean({ metrics: { _os: 'iOS', valueOf: '1' }, constructor: 'x', crash: { a: { isPrototypeOf: 1 } } });
    expect(params).toEqual({ metrics: { _os: 'iOS' }, crash: { a: {} } });
    expect(reasons).toEqual(['metrics.valueOf:unsafe_key', 'constructor:unsafe_param_name', 'crash.a.isPrototypeOf:unsafe_key']);
  });
});

describe('event numbers (spec §2.9 steps 3 and 6)', () => {
  it('keep counts from 0 to MAX_EVENT_COUNT, as numbers or numeric text', () => {
    const events = [
      { key: 'a', count: MAX_EVENT_COUNT },
      { key: 'b', count: '3' },
      { key: 'c', count: 0 },
    ];
    const { params, reasons } = clean({ events });
    expect(params?.events).toEqual(events);
    expect(reasons).toEqual([]);
  });

  it('drop negative, oversized and huge counts (the processors then count 1, as for an invalid count)', () => {
    const counts = [-1, '-5', MAX_EVENT_COUNT + 1, 1.7976931348623157e308, '1e308', '9'.repeat(400)];
    const { params, reasons } = clean({ events: counts.map((count) => ({ key: 'e', count })) });
    expect(params?.events).toEqual(counts.map(() => ({ key: 'e' })));
    expect(reasons).toEqual(counts.map((_, i) => `events[${i}].count:number_out_of_range`));
  });

  it('keep negative and fractional sum and dur within ±MAX_EVENT_AMOUNT', () => {
    const events = [
      { key: 'a', sum: -MAX_EVENT_AMOUNT, dur: MAX_EVENT_AMOUNT },
      { key: 'b', sum: '-9.75', dur: -3 },
    ];
    const { params, reasons } = clean({ events });
    expect(params?.events).toEqual(events);
    expect(reasons).toEqual([]);
  });

  it('drop sum and dur beyond ±MAX_EVENT_AMOUNT and keep the rest of the event', () => {
    const { params, reasons } = clean({
      events: [
        { key: 'a', count: 1, sum: 1.7976931348623157e308, dur: -1.7976931348623157e308 },
        { key: 'b', sum: `${MAX_EVENT_AMOUNT * 10}`, dur: MAX_EVENT_AMOUNT + 1 },
      ],
    });
    expect(params?.events).toEqual([{ key: 'a', count: 1 }, { key: 'b' }]);
    expect(reasons).toEqual([
      'events[0].sum:number_out_of_range',
      'events[0].dur:number_out_of_range',
      'events[1].sum:number_out_of_range',
      'events[1].dur:number_out_of_range',
    ]);
  });

  it('turn non-finite JSON numbers into an out-of-range drop, not a stored null', () => {
    const parsed = JSON.parse('[{"key":"e","sum":1e400,"count":-1e400}]') as unknown[];
    const { params, reasons } = clean({ events: parsed });
    expect(params?.events).toEqual([{ key: 'e' }]);
    expect(reasons).toEqual(['events[0].sum:number_out_of_range', 'events[0].count:number_out_of_range']);
  });
});

describe('user_details.custom $inc and $mul operands', () => {
  it('keep operands within ±MAX_CUSTOM_OPERAND and drop larger ones', () => {
    const custom = { a: { $inc: -5 }, b: { $mul: '2.5' }, c: { $inc: 1.7976931348623157e308 }, d: { $mul: `-${MAX_CUSTOM_OPERAND * 2}` }, e: { $max: 1e300 } };
    const { params, reasons } = clean({ user_details: { custom } });
    expect(params?.user_details).toEqual({ custom: { a: { $inc: -5 }, b: { $mul: '2.5' }, e: { $max: 1e300 } } });
    expect(reasons).toEqual(['user_details.custom.c.$inc:number_out_of_range', 'user_details.custom.d.$mul:number_out_of_range']);
  });
});
