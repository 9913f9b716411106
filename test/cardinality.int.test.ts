// Bounded documents at high cardinality: every device new, 10k values of one segment, 150 segment
// keys and up to 10k device models. No projection document may exceed 1 MB (BSON), the caps hold
// exactly, and nothing is lost below them: every device is counted once as new, and every
// admitted value at each of its occurrences.
//
// One partition group sees every device, so 1,500 devices already offer it more device models
// (1,500) and segment values (7,500) than the caps admit, and 150 segment keys: each cap and the
// document bound are reached in seconds. Caps per group across several groups are the same code
// path (the test's per-group checks run for the one group). The processors issue's figure,
// 100,000 devices over four groups (about 470 s here), is `npm run bench -- cardinality`
// (bench/scenarios/cardinality.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Document } from 'mongodb';
import { publishAll } from '../ingest/index.ts';
import {
  EVENT_SEGMENTATION_LIMIT,
  EVENT_SEGMENTATION_VALUE_LIMIT,
  listCheckpoints,
  METRIC_LIMIT,
  partitionOf,
  type SdkRequestReceived,
} from '../projections/index.ts';
import { eventSubject, partitionsOfGroup } from '../streams.config.ts';
import {
  cardinalityDevice,
  cardinalityRequest,
  CARDINALITY_DEVICE_MODELS,
  CARDINALITY_EVENTS_PER_REQUEST,
  CARDINALITY_SEGMENT_VALUES,
} from '../bench/workload/cardinality.ts';
import { largestDocument } from '../bench/documents.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { waitUntil } from './support/wait.ts';

const DEVICES = 1_500;
const EVENTS_PER_REQUEST = CARDINALITY_EVENTS_PER_REQUEST;
const SEGMENT_VALUES = CARDINALITY_SEGMENT_VALUES;
const DEVICE_MODELS = CARDINALITY_DEVICE_MODELS;
const MB = 1024 * 1024;
/** Generous: 100k devices take about 470 s with the other test files running. */
const TIMEOUT_MS = Math.max(300_000, DEVICES * 9);
const APP = 'bbbbbbbbbbbbbbbbbbbbbb01';
// One batch applied at a time (the default, pinned here): each batch loads the caps' state after
// the previous one was applied, so the caps hold exactly and an admitted value is never dropped.
const config = testConfig({ streams: { partitionGroups: 1 }, consumers: { batchSize: 1_000, maxConcurrentFlushes: 1 } });
let tally: TestTally;

beforeAll(async () => {
  tally = await startTestTally({ config });
});
afterAll(async () => {
  await tally.destroy();
});

function request(i: number): { subject: string; event: SdkRequestReceived } {
  return { subject: eventSubject(config.streams, APP, partitionOf(cardinalityDevice(i), config.streams.partitions)), event: cardinalityRequest(i, APP) };
}

/** Sums of `d.<day>.<value>.<prop>` over the month documents (`m` not `YYYY:0`), by value. */
function dayCells(docs: readonly Document[], prop: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const doc of docs.filter((d) => !String(d.m).endsWith(':0'))) {
    for (const [day, cells] of Object.entries(doc.d as Record<string, Record<string, Record<string, number>>>)) {
      if (!/^\d+$/.test(day)) continue;
      for (const [value, cell] of Object.entries(cells)) if (typeof cell[prop] === 'number') out.set(value, (out.get(value) ?? 0) + cell[prop]);
    }
  }
  return out;
}
const total = (m: ReadonlyMap<string, number>, keep: (k: string) => boolean = () => true): number => [...m].reduce((s, [k, n]) => (keep(k) ? s + n : s), 0);

/** The partition group of device `card-<i>`. */
function groupOfDevice(i: number): number {
  const partition = partitionOf(cardinalityDevice(i), config.streams.partitions);
  for (let g = 0; g < config.streams.partitionGroups; g++) if (partitionsOfGroup(config.streams, g).includes(partition)) return g;
  throw new Error(`no group for partition ${partition}`);
}

/** Occurrences of each offered value, per partition group. */
function valuesByGroup(valuesOf: (i: number) => readonly string[]): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (let i = 0; i < DEVICES; i++) {
    const g = groupOfDevice(i);
    const counts = out.get(g) ?? new Map<string, number>();
    out.set(g, counts);
    for (const v of valuesOf(i)) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return out;
}

/**
 * Checks a limit per group on the group's own documents (`_g`): it admitted min(cap, offered)
 * values, all of them offered to it. Returns the counts expected over all groups: every
 * occurrence of a value admitted in a group counts (a value is admitted at its first occurrence
 * or never).
 */
function expectPerGroupCap(docs: readonly Document[], prop: string, cap: number, valuesOf: (i: number) => readonly string[]): Map<string, number> {
  const expected = new Map<string, number>();
  for (const [g, offered] of valuesByGroup(valuesOf)) {
    const admitted = [
      ...dayCells(
        docs.filter((d) => d._g === g),
        prop,
      ).keys(),
    ];
    expect({ group: g, admitted: admitted.length }).toEqual({ group: g, admitted: Math.min(cap, offered.size) });
    for (const v of admitted) {
      expect(offered.has(v)).toBe(true);
      expected.set(v, (expected.get(v) ?? 0) + (offered.get(v) ?? 0));
    }
  }
  return expected;
}

it(
  `keeps every projection document under 1 MB with ${DEVICES} devices and ${Math.min(SEGMENT_VALUES, DEVICES * EVENTS_PER_REQUEST)} segment values`,
  { timeout: TIMEOUT_MS },
  async () => {
    // 1. Publish every device's one request, then wait until the checkpoints account for all.
    const startedMs = Date.now();
    for (let i = 0; i < DEVICES; i += 2_000) {
      await publishAll(
        tally.js,
        Array.from({ length: Math.min(2_000, DEVICES - i) }, (_, k) => request(i + k)),
        { timeoutMs: 30_000 },
      );
    }
    const cps = await waitUntil(
      async () => {
        const list = await listCheckpoints(tally.db, 'core:v1:');
        const accounted = list.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0);
        return accounted === DEVICES && list.every((c) => c.pending === null) ? list : undefined;
      },
      TIMEOUT_MS - 60_000,
      'all requests applied',
    );
    console.log(`${DEVICES} devices processed in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
    expect(cps.reduce((s, c) => s + c.deadLetters, 0)).toBe(0);

    // 2. Every projection collection (all `_v1` collections), every document, in BSON bytes.
    const collections = (await tally.db.listCollections().toArray()).map((c) => c.name).filter((n) => n.endsWith('_v1'));
    expect(collections).toEqual(
      expect.arrayContaining(['users_v1', 'devices_v1', 'device_details_v1', 'events_data_v1', 'events_v1', `app_users${APP}_v1`, 'uid_sequences_v1']),
    );
    const largest = await largestDocument(tally.db, collections);
    console.log(
      `largest of ${largest.documents} projection documents in ${collections.length} collections: ${largest.collection} ${String(largest.id)} ${largest.bytes} bytes`,
    );
    expect(largest.bytes).toBeLessThan(MB);

    // 3. Devices: one app user each with its own uid; each counted once as a new user, and once in
    // the OS-version family (50 values, far below the cap).
    const users = await tally.db
      .collection(`app_users${APP}_v1`)
      .find({}, { projection: { uid: 1 } })
      .toArray();
    expect(users.length).toBe(DEVICES);
    expect(new Set(users.map((u) => String(u.uid))).size).toBe(DEVICES);
    const usersDocs = await tally.db.collection('users_v1').find({ a: APP }).toArray();
    const dayTotals = (prop: string) =>
      usersDocs
        .filter((d) => !String(d.m).endsWith(':0'))
        .reduce(
          (s, d) =>
            s +
            Object.entries(d.d as Record<string, Record<string, unknown>>).reduce(
              (t, [day, cell]) => t + (/^\d+$/.test(day) && typeof cell[prop] === 'number' ? cell[prop] : 0),
              0,
            ),
          0,
        );
    expect([dayTotals('n'), dayTotals('t')]).toEqual([DEVICES, DEVICES]);
    expect(usersDocs.filter((d) => String(d.m).endsWith(':0')).reduce((s, d) => s + Number((d.d as { u?: number }).u ?? 0), 0)).toBe(DEVICES);
    const details = await tally.db.collection('device_details_v1').find({ a: APP }).toArray();
    expect(total(dayCells(details, 'n'), (v) => /^a\d+:0$/.test(v))).toBe(DEVICES);

    // 4. Device models: each partition group admits metric_limit values (limits hold per group,
    // docs/countly-differences.md), all when it sees fewer; every occurrence of an admitted
    // value is counted as new.
    const devicesDocs = await tally.db.collection('devices_v1').find({ a: APP }).toArray();
    const models = dayCells(devicesDocs, 'n');
    const seen = new Set(
      devicesDocs.filter((d) => String(d.m).endsWith(':0')).flatMap((d) => Object.keys((d.meta_v2 as { devices?: object } | undefined)?.devices ?? {})),
    );
    expect(new Set(models.keys())).toEqual(seen);
    expect(models).toEqual(expectPerGroupCap(devicesDocs, 'n', METRIC_LIMIT, (i) => [`model-${i % DEVICE_MODELS}`]));

    // 5. Segment values and keys: event_segmentation_value_limit values of `item` per group, each
    // counted at every occurrence; event_segmentation_limit segment keys per group of 151 offered.
    const itemDocs = await tally.db.collection('events_data_v1').find({ a: APP, s: 'item' }).toArray();
    const items = dayCells(itemDocs, 'c');
    console.log(`item values: ${items.size}, count: ${total(items)}`);
    const itemsOf = (i: number) => Array.from({ length: EVENTS_PER_REQUEST }, (_, k) => `value-${(i * EVENTS_PER_REQUEST + k) % SEGMENT_VALUES}`);
    expect(items).toEqual(expectPerGroupCap(itemDocs, 'c', EVENT_SEGMENTATION_VALUE_LIMIT, itemsOf));
    const registry = await tally.db.collection('events_v1').find({ a: APP }).toArray();
    const keysOf = (i: number) => Array.from({ length: EVENTS_PER_REQUEST }, (_, k) => ['item', `seg${(i + k) % 150}`]).flat();
    const offered = valuesByGroup(keysOf);
    for (const doc of registry) {
      const keys = new Set(Object.values((doc.segments as Record<string, object> | undefined) ?? {}).flatMap((segs) => Object.keys(segs)));
      expect(keys.size).toBe(Math.min(EVENT_SEGMENTATION_LIMIT, offered.get(Number(doc._g))?.size ?? 0));
      expect(keys.has('item')).toBe(true);
    }
    expect(registry.length).toBe(offered.size);
  },
);
