// Bad input for /i/bulk (spec §2.15): the `requests` parameter itself, and items that are skipped
// (named in warnings) next to items that are stored.
import { CORPUS_LIMITS, ok, refused, type CorpusCase, type CorpusKeys } from './corpus-single.ts';

const bulk = (k: CorpusKeys, requests: unknown) => ({ path: '/i/bulk', json: { app_key: k.app, requests } });
const items = (name: string, requests: (k: CorpusKeys) => unknown, reasons: readonly string[], stored: number) =>
  ok(`bulk: ${name}`, (k) => bulk(k, requests(k)), reasons, stored);

const MISSING = 'Missing parameter "requests"';
const INVALID = 'Invalid parameter "requests"';

export const bulkCases: readonly CorpusCase[] = [
  refused('bulk: no requests', (k) => ({ path: '/i/bulk', query: { app_key: k.app } }), 400, MISSING),
  refused('bulk: empty requests', () => ({ path: '/i/bulk', query: { requests: '' } }), 400, MISSING),
  refused('bulk: requests is null', () => ({ path: '/i/bulk', json: { requests: null } }), 400, MISSING),
  ...['[', '[{"device_id":', 'nope', '\u0000'].map((text) =>
    refused(`bulk: unparsable requests ${JSON.stringify(text)}`, () => ({ path: '/i/bulk', form: { requests: text } }), 400, MISSING),
  ),
  ...['5', '{"a":1}', '"text"', 'null', 'true'].map((text) =>
    refused(`bulk: requests ${text} is not an array`, () => ({ path: '/i/bulk', form: { requests: text } }), 400, INVALID),
  ),
  refused('bulk: requests as a JSON object', () => ({ path: '/i/bulk', json: { requests: { 0: { device_id: 'a' } } } }), 400, INVALID),
  refused(
    'bulk: more items than the limit',
    (k) =>
      bulk(
        k,
        Array.from({ length: CORPUS_LIMITS.maxBulkRequests + 1 }, (_, i) => ({ device_id: `m${i}` })),
      ),
    413,
    `Too many requests in one bulk: ${CORPUS_LIMITS.maxBulkRequests + 1}, the limit is ${CORPUS_LIMITS.maxBulkRequests}`,
  ),
  refused(
    'bulk: app_id of the wrong length',
    (k) => ({ path: '/i/bulk', query: { app_id: '1', requests: JSON.stringify([{ app_key: k.app, device_id: 'a' }]) } }),
    400,
    'Invalid parameter "app_id"',
  ),
  items('empty array', () => [], [], 0),
  items('items that are not objects', () => [1, 'a', null, [], true], ['bulk_item_not_object'], 0),
  items('item without device_id', () => [{ begin_session: 1 }], ['bulk_item_missing_identity'], 0),
  ok('bulk: no app key anywhere', () => ({ path: '/i/bulk', json: { requests: [{ device_id: 'a' }] } }), ['bulk_item_missing_identity'], 0),
  items('item with an unknown app key', () => [{ app_key: 'nope', device_id: 'a' }], ['bulk_item_app_does_not_exist'], 0),
  items('item for a paused app', (k) => [{ app_key: k.paused, device_id: 'a' }], ['bulk_item_app_paused'], 0),
  items('populator item for a locked app', (k) => [{ app_key: k.locked, device_id: 'a', populator: 1 }], ['bulk_item_app_locked'], 0),
  items('item for a salted app without checksum', (k) => [{ app_key: k.salted, device_id: 'a' }], ['bulk_item_checksum_missing'], 0),
  items('zero IDFA item', () => [{ device_id: '00000000-0000-0000-0000-000000000000' }], ['bulk_item_zero_idfa'], 0),
  items('item with too many events', () => [{ device_id: 'a', events: Array.from({ length: 51 }, () => ({ key: 'e' })) }], ['bulk_item_too_many_events'], 0),
  items('item with device_id as an object', () => [{ device_id: { $ne: null } }], ['bulk_item_missing_identity'], 0),
  items('item with broken events', () => [{ device_id: 'a', events: '[{' }], ['invalid_json'], 1),
  items(
    'item with $ and dotted keys',
    () => [{ device_id: 'a', events: [{ key: 'k', segmentation: { $a: 1, 'b.c': 2 } }], 'x.y': 1 }],
    ['key_rewritten', 'unsafe_param_name'],
    1,
  ),
  items('item nested 40 deep', () => [{ device_id: 'a', crash: Array.from({ length: 40 }).reduce<unknown>((inner) => ({ n: inner }), 1) }], ['too_deep'], 1),
  items(
    'valid and invalid items mixed',
    (k) => [{ device_id: 'v1' }, 'x', { app_key: k.paused, device_id: 'v2' }, { device_id: 'v3', timestamp: 1_730_000_000 }],
    ['bulk_item_not_object', 'bulk_item_app_paused'],
    2,
  ),
  items('unicode and NUL device ids', () => [{ device_id: '設備\u00001' }, { device_id: '🙂' }], [], 2),
  items(
    'the same item twice (same timestamp)',
    () => [
      { device_id: 'twin', timestamp: 1_730_000_000_123 },
      { device_id: 'twin', timestamp: 1_730_000_000_123 },
    ],
    [],
    1,
  ),
];
