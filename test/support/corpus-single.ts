// Bad input for /i: wrong types, broken JSON, huge bodies, deep nesting, unicode and NUL, $ and
// dotted keys, odd durations and timestamps, bad checksums. Each case states the spec answer and
// how many events it may store (0 for a refusal, 1 for an accepted request, with warnings).
import { createHash } from 'node:crypto';
import type { SendOptions } from './ingest-client.ts';

/** App keys the corpus needs (created by the test). */
export interface CorpusKeys {
  readonly app: string;
  readonly paused: string;
  readonly locked: string;
  readonly salted: string;
  readonly salt: string;
}

export interface CorpusCase {
  readonly name: string;
  readonly request: (k: CorpusKeys) => SendOptions;
  readonly status: number;
  /** Expected `result` of the JSON answer (undefined: not checked, e.g. HEAD). */
  readonly result?: string;
  /** Events this case stores. */
  readonly stored: number;
  /** Distinct warning reasons the answer must carry (exactly this set). */
  readonly reasons?: readonly string[];
}

/** Limits of the Tally the corpus runs against. */
export const CORPUS_LIMITS = { bodyLimitBytes: 262_144, maxEventsPerRequest: 50, maxBulkRequests: 20 } as const;

const MISSING = 'Missing parameter "app_key" or "device_id"';
const id = (k: CorpusKeys, extra: Record<string, unknown> = {}) => ({ app_key: k.app, device_id: 'corpus', ...extra });

export const ok = (name: string, request: CorpusCase['request'], reasons: readonly string[] = [], stored = 1): CorpusCase => ({
  name,
  request,
  status: 200,
  result: 'Success',
  stored,
  reasons,
});
export const refused = (name: string, request: CorpusCase['request'], status: number, result: string | undefined): CorpusCase => ({
  name,
  request,
  status,
  result,
  stored: 0,
});
/** An accepted GET carrying `extra` parameters. */
const get = (name: string, extra: Record<string, unknown>, reasons: readonly string[] = []) => ok(name, (k) => ({ query: id(k, extra) }), reasons);
/** An accepted JSON POST carrying `extra` parameters as real JSON values. */
const json = (name: string, extra: Record<string, unknown>, reasons: readonly string[] = []) => ok(name, (k) => ({ json: id(k, extra) }), reasons);
const events = (name: string, list: unknown, reasons: readonly string[] = []) => json(`events: ${name}`, { events: list }, reasons);
const segments = (name: string, segmentation: unknown, reasons: readonly string[]) => events(`segmentation ${name}`, [{ key: 'seg', segmentation }], reasons);

const nested = (depth: number, leaf: unknown = 1): unknown => Array.from({ length: depth }).reduce<unknown>((inner) => ({ n: inner }), leaf);
const sha = (alg: 'sha1' | 'sha256', text: string) => createHash(alg).update(text).digest('hex');

const identityCases: CorpusCase[] = [
  refused('bare GET /i', () => ({}), 400, MISSING),
  refused('only app_key', (k) => ({ query: { app_key: k.app } }), 400, MISSING),
  refused('only device_id', () => ({ query: { device_id: 'd' } }), 400, MISSING),
  refused('empty app_key', () => ({ query: { app_key: '', device_id: 'd' } }), 400, MISSING),
  refused('empty device_id', (k) => ({ query: { app_key: k.app, device_id: '' } }), 400, MISSING),
  refused('app_key is an operator object', () => ({ json: { app_key: { $ne: null }, device_id: 'd' } }), 400, MISSING),
  refused('device_id is an object', (k) => ({ json: { app_key: k.app, device_id: { $gt: '' } } }), 400, MISSING),
  refused('device_id is null', (k) => ({ json: { app_key: k.app, device_id: null } }), 400, MISSING),
  refused('device_id is an array', (k) => ({ json: { app_key: k.app, device_id: ['a', 'b'] } }), 400, MISSING),
  refused('device_id repeated in the query', (k) => ({ path: `/i?app_key=${k.app}&device_id=a&device_id=b` }), 400, MISSING),
  refused('unknown app_key', () => ({ query: { app_key: 'no-such-app', device_id: 'd' } }), 400, 'App does not exist'),
  refused('app_key with NUL', (k) => ({ query: { app_key: `${k.app}\u0000`, device_id: 'd' } }), 400, 'App does not exist'),
  refused('app_key of 10k characters', () => ({ query: { app_key: 'k'.repeat(10_000), device_id: 'd' } }), 400, 'App does not exist'),
  refused('app_key in emoji', () => ({ query: { app_key: '🔑🔑', device_id: 'd' } }), 400, 'App does not exist'),
  refused('app_key as a number', () => ({ json: { app_key: 12345, device_id: 'd' } }), 400, 'App does not exist'),
  refused('paused app', (k) => ({ query: { app_key: k.paused, device_id: 'd' } }), 400, 'App is currently not accepting data'),
  refused('populator on a locked app', (k) => ({ query: { app_key: k.locked, device_id: 'd', populator: 'true' } }), 403, 'App is locked'),
  ok('locked app without populator', (k) => ({ query: { app_key: k.locked, device_id: 'd' } })),
  refused('zero IDFA', (k) => ({ query: { app_key: k.app, device_id: '00000000-0000-0000-0000-000000000000' } }), 200, 'Ignoring device_id'),
  refused('app_id of the wrong length', (k) => ({ query: id(k, { app_id: 'abc' }) }), 400, 'Invalid parameter "app_id"'),
  refused('user_id of the wrong length', (k) => ({ query: id(k, { user_id: 'x'.repeat(25) }) }), 400, 'Invalid parameter "user_id"'),
  get('app_id of 24 characters', { app_id: 'a'.repeat(24) }),
  ok('device_id with NUL', (k) => ({ query: { app_key: k.app, device_id: 'nul\u0000dev' } })),
  ok('device_id in RTL text and emoji', (k) => ({ query: { app_key: k.app, device_id: 'مستخدم‏🙂' } })),
  ok('device_id as a number', (k) => ({ json: { app_key: k.app, device_id: 42 } })),
  ok('device_id as a boolean', (k) => ({ json: { app_key: k.app, device_id: true } })),
];

const transportCases: CorpusCase[] = [
  ...['PUT', 'DELETE', 'PATCH'].map((method) => refused(`${method} /i`, (k: CorpusKeys) => ({ method, query: id(k) }), 405, 'Method not allowed')),
  refused('HEAD /i', (k) => ({ method: 'HEAD', query: id(k) }), 405, undefined),
  refused('OPTIONS /i', () => ({ method: 'OPTIONS' }), 200, undefined),
  ok('broken JSON body, identity in the query', (k) => ({ query: id(k), body: '{"app_key":', contentType: 'application/json' }), ['invalid_json']),
  refused('broken JSON body, no identity', () => ({ body: '{"app_key":', contentType: 'application/json' }), 400, MISSING),
  ok('JSON array body', (k) => ({ query: id(k), body: '[1,2]', contentType: 'application/json' }), ['wrong_type']),
  ok('text/plain body', (k) => ({ query: id(k), body: 'hello', contentType: 'text/plain' }), ['body_ignored']),
  ok('empty form body', (k) => ({ query: id(k), body: '', contentType: 'application/x-www-form-urlencoded' })),
  refused(
    'form body over the limit',
    (k) => ({ form: id(k, { pad: 'x'.repeat(CORPUS_LIMITS.bodyLimitBytes) }) }),
    413,
    `Request body is larger than ${CORPUS_LIMITS.bodyLimitBytes} bytes`,
  ),
  refused(
    'JSON body over the limit',
    (k) => ({ json: id(k, { events: Array.from({ length: 40 }, () => ({ key: 'k'.repeat(7_000) })) }) }),
    413,
    `Request body is larger than ${CORPUS_LIMITS.bodyLimitBytes} bytes`,
  ),
  ok(
    'multipart with an uploaded file',
    (k) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(id(k))) form.append(name, value);
      form.append('user_picture', new Blob([new Uint8Array([137, 80, 78, 71])]), 'me.png');
      return { body: form };
    },
    ['file_ignored'],
  ),
  refused(
    'multipart body over the limit',
    (k) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(id(k))) form.append(name, value);
      for (let i = 0; i < 4; i++) form.append(`pad${i}`, 'x'.repeat(CORPUS_LIMITS.bodyLimitBytes / 2));
      return { body: form };
    },
    413,
    `Request body is larger than ${CORPUS_LIMITS.bodyLimitBytes} bytes`,
  ),
  ok(
    'JSON body nested 100k levels deep',
    (k) => ({ body: `{"app_key":"${k.app}","device_id":"deep","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, contentType: 'application/json' }),
    ['too_deep'],
  ),
  ok('2000 unknown parameters in a form body', (k) => ({ form: id(k, Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`p${i}`, String(i)]))) })),
  refused('query string over the HTTP header limit', (k) => ({ query: id(k, { pad: 'x'.repeat(20_000) }) }), 431, undefined),
  { ...ok('JSONP with a valid callback', (k) => ({ query: id(k, { callback: 'cb' }) })), result: undefined },
  ok('JSONP with a hostile callback (ignored)', (k) => ({ query: id(k, { callback: 'alert(1)//' }) })),
  ok('broken percent-encoding', (k) => ({ path: `/i?app_key=${k.app}&device_id=%E0%A4%A&x=%ZZ` })),
  ok('percent-encoded NUL in a parameter name', (k) => ({ path: `/i?app_key=${k.app}&device_id=d&a%00b=1` }), ['unsafe_param_name']),
];

const brokenJson = ['[', '{', '[{"key":}]', 'undefined', 'NaN', "[{'key':'a'}]", '[{"key":"a"},]', '', ' ', '\u0000', '[{"key":"a"}', '{"key":"a"}}'];
const notArrays = ['{}', '5', '"text"', 'null', 'true', '{"key":"a"}'];

const eventCases: CorpusCase[] = [
  ...brokenJson.map((text) => get(`events: broken JSON ${JSON.stringify(text)}`, { events: text }, ['invalid_json'])),
  ...notArrays.map((text) => get(`events: not an array ${text}`, { events: text }, ['wrong_type'])),
  ...[1, 'a', null, [], true].map((item) => events(`item ${JSON.stringify(item)}`, [item], ['event_not_object'])),
  ...[{}, { key: null }, { key: {} }, { key: [] }, { key: '' }, { key: '$$$' }, { key: 'system.' }].map((e) =>
    events(`key ${JSON.stringify(e)}`, [e], ['event_key_invalid']),
  ),
  events('numeric key', [{ key: 5 }]),
  events('boolean key', [{ key: true }]),
  events('127-character key', [{ key: 'k'.repeat(127) }]),
  events('128-character key', [{ key: 'k'.repeat(128) }], ['event_key_too_long']),
  events('100k-character key', [{ key: 'k'.repeat(100_000) }], ['event_key_too_long']),
  events('key with $ and dots', [{ key: '$a.b' }], ['key_rewritten']),
  events('key with ..', [{ key: 'a..b' }], ['key_rewritten']),
  events('key with NUL', [{ key: 'x\u0000y' }], ['key_rewritten']),
  events('key in emoji and Arabic', [{ key: '🎉 عربى' }]),
  ...['constructor', '__proto__', '$toString', 'prototype'].map((key) => events(`prototype name as key ${key}`, [{ key }], ['unsafe_key'])),
  events('internal [CLY]_view key', [{ key: '[CLY]_view', segmentation: { name: 'home' } }]),
  ...['abc', {}, [], null, true].map((count) => events(`count ${JSON.stringify(count)}`, [{ key: 'c', count }], ['invalid_number'])),
  events('negative count', [{ key: 'c', count: -5 }], ['number_out_of_range']),
  events('count over the bound', [{ key: 'c', count: 2e9 }], ['number_out_of_range']),
  events('negative dur', [{ key: 'd', dur: -100 }]),
  events('enormous dur', [{ key: 'd', dur: 1e308 }], ['number_out_of_range']),
  events('largest double as sum', [{ key: 's', sum: 1.7976931348623157e308 }], ['number_out_of_range']),
  events('negative sum within the bound', [{ key: 's', sum: -12.5 }]),
  events('dur beyond float range as text', [{ key: 'd', dur: '1e309' }], ['number_out_of_range']),
  events('sum as text', [{ key: 's', sum: '4.99' }]),
  events('sum as object', [{ key: 's', sum: { $inc: 1 } }], ['invalid_number']),
  events('far-future timestamp', [{ key: 't', timestamp: 99_999_999_999_999 }]),
  events('negative timestamp', [{ key: 't', timestamp: -1 }]),
  events('timestamp as words', [{ key: 't', timestamp: 'tomorrow' }], ['invalid_number']),
  events('hour 99', [{ key: 'h', hour: 99, dow: -3 }]),
  segments('as an array', [], ['wrong_type']),
  segments('as text', 'plan=pro', ['wrong_type']),
  segments('null', null, ['wrong_type']),
  segments('$ key', { $where: 'x' }, ['key_rewritten']),
  segments('dotted key', { 'a.b.c': 'x' }, ['key_rewritten']),
  segments('empty key', { '': 'x' }, ['key_empty']),
  segments('key of only $ and dots', { '$.$': 'x' }, ['key_empty']),
  segments('NUL in key', { 'a\u0000': 'x' }, ['key_rewritten']),
  segments('keys that collide after cleaning', { ab: 1, 'a.b': 2 }, ['key_rewritten', 'key_collision']),
  segments('150 keys', Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`s${i}`, i])), ['segment_limit']),
  segments('prototype names as keys', { constructor: 'x', hasOwnProperty: 'y', 'value.Of': 'z', ok: 'constructor' }, ['unsafe_key']),
  segments('object value', { o: { $gt: 1 } }, ['segment_value_object']),
  segments('empty value', { e: '' }, ['segment_value_empty']),
  segments('array of 20', { a: Array.from({ length: 20 }, (_, i) => i) }, ['array_truncated']),
  segments('deeply nested array value', { a: [nested(30)] }, ['too_deep']),
  segments('NUL, unicode and huge numbers as values', { nul: 'a\u0000b', uni: '𝔘𝔫𝔦', big: 1e308, neg: -0, n: null }, []),
  ok(
    'events: __proto__ segment key',
    (k) => ({
      body: `{"app_key":"${k.app}","device_id":"p","events":[{"key":"p","segmentation":{"__proto__":{"x":1},"ok":1}}]}`,
      contentType: 'application/json',
    }),
    ['unsafe_key'],
  ),
  refused(
    'events: more than the limit',
    (k) => ({ json: id(k, { events: Array.from({ length: 51 }, () => ({ key: 'e' })) }) }),
    413,
    'Too many events: 51 in one request, the limit is 50',
  ),
  events(
    'mixed valid and invalid',
    [{ key: 'good' }, 7, { key: '' }, { key: 'also-good', segmentation: { $x: 1 } }],
    ['event_not_object', 'event_key_invalid', 'key_rewritten'],
  ),
];

const objectParamCases: CorpusCase[] = [
  ...['metrics', 'user_details', 'consent', 'crash', 'apm'].flatMap((p) => [
    get(`${p}: broken JSON`, { [p]: '{"a":' }, ['invalid_json']),
    get(`${p}: an array`, { [p]: '[1]' }, ['wrong_type']),
    json(`${p}: a number`, { [p]: 5 }, ['wrong_type']),
    json(`${p}: a $ key`, { [p]: { $where: 'sleep(1000)' } }, ['key_rewritten']),
  ]),
  json('metrics: dotted keys', { metrics: { '_os.version': '1.2', _os: 'iOS' } }, ['key_rewritten']),
  json('metrics: nested 30 deep', { metrics: { _os: nested(30) } }, ['too_deep']),
  json('metrics: unicode values', { metrics: { _device: '📱 Pixel', _locale: 'zh_Hant_TW' } }),
  json('user_details: custom operators', { user_details: { custom: { visits: { $inc: 1 }, tags: { $addToSet: ['a'] } } } }),
  json('user_details: unknown operator', { user_details: { custom: { visits: { $where: 'x' } } } }, ['unknown_operator']),
  json('user_details: operator mixed with fields', { user_details: { custom: { v: { $inc: 1, plain: 2 } } } }, ['key_rewritten']),
  json('user_details: dotted custom key', { user_details: { custom: { 'a.b': 1 } } }, ['key_rewritten']),
  json('user_details: prototype names as custom keys', { user_details: { custom: { constructor: 'x', $valueOf: { $inc: 1 }, ok: 1 } } }, ['unsafe_key']),
  json('user_details: $inc beyond the bound', { user_details: { custom: { v: { $inc: 1.7976931348623157e308 } } } }, ['number_out_of_range']),
  json('user_details: custom not an object', { user_details: { custom: 'x' } }, ['wrong_type']),
];

const scalarCases: CorpusCase[] = [
  get('negative session_duration', { session_duration: '-5' }),
  get('enormous session_duration', { session_duration: '1000000000000000' }),
  get('session_duration as words', { session_duration: 'abc' }, ['invalid_number']),
  json('session_duration as an object', { session_duration: { $inc: 5 } }, ['wrong_type']),
  get('far-future timestamp', { timestamp: '99999999999999' }),
  get('timestamp as words', { timestamp: 'abc' }, ['invalid_number']),
  json('timestamp as an array', { timestamp: [1, 2] }, ['wrong_type']),
  json('begin_session as an operator', { begin_session: { $gt: 1 } }, ['wrong_type']),
  get('ip_address that is not an IP', { ip_address: 'localhost' }, ['invalid_ip_address']),
  get('ip_address out of range', { ip_address: '999.1.1.1' }, ['invalid_ip_address']),
  get('hour as words', { hour: 'noon' }, ['invalid_number']),
  get('$ parameter name', { $where: '1' }, ['unsafe_param_name']),
  get('dotted parameter name', { 'a.b': '1' }, ['unsafe_param_name']),
  ok('__proto__ parameter name', (k) => ({ body: `{"app_key":"${k.app}","device_id":"p","__proto__":{"admin":true}}`, contentType: 'application/json' }), [
    'unsafe_param_name',
  ]),
  json('unknown parameter with $ keys inside', { extra: { $set: { a: 1 } } }, ['key_rewritten']),
];

const checksumCases: CorpusCase[] = [
  refused('salted: no checksum', (k) => ({ query: { app_key: k.salted, device_id: 'd' } }), 200, 'Request does not have checksum'),
  refused(
    'salted: wrong checksum',
    (k) => ({ query: { app_key: k.salted, device_id: 'd', checksum: 'F'.repeat(40) } }),
    200,
    'Request does not match checksum',
  ),
  refused(
    'salted: wrong checksum256',
    (k) => ({ query: { app_key: k.salted, device_id: 'd', checksum256: '0'.repeat(64) } }),
    200,
    'Request does not match checksum',
  ),
  refused('salted: empty checksum', (k) => ({ query: { app_key: k.salted, device_id: 'd', checksum: '' } }), 200, 'Request does not match checksum'),
  refused(
    'salted: checksum with another salt',
    (k) => ({ path: `/i?app_key=${k.salted}&device_id=d&checksum=${sha('sha1', `app_key=${k.salted}&device_id=dother`)}` }),
    200,
    'Request does not match checksum',
  ),
  refused(
    'salted: checksum as an object',
    (k) => ({ json: { app_key: k.salted, device_id: 'd', checksum: { $ne: 1 } } }),
    200,
    'Request does not have checksum',
  ),
  ok('salted: right lowercase SHA-1', (k) => ({
    path: `/i?app_key=${k.salted}&device_id=d&checksum=${sha('sha1', `app_key=${k.salted}&device_id=d${k.salt}`)}`,
  })),
  ok('salted: right SHA-256 in a form body', (k) => {
    const data = `app_key=${k.salted}&device_id=d2`;
    return { body: `${data}&checksum256=${sha('sha256', data + k.salt).toUpperCase()}`, contentType: 'application/x-www-form-urlencoded' };
  }),
];

export const singleCases: readonly CorpusCase[] = [...identityCases, ...transportCases, ...eventCases, ...objectParamCases, ...scalarCases, ...checksumCases];
