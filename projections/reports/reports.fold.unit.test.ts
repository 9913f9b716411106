// Given events, when folded by a report kind, expect the result; folding in pieces (what a
// checkpoint and an auto-refresh do) gives what one pass gives.
import { describe, expect, it } from 'vitest';
import { deepFreeze, request } from '../given.test-support.ts';
import type { FoldEvent } from '../fold.ts';
import { normalizeRequest, reportRequestOf } from '../request.ts';
import { funnelSpec, reportJob, retentionSpec, segmentationSpec, type ReportJob } from './report-spec.ts';
import { openReport } from './report-kinds.ts';
import { foldSegmentation, initialSegmentation, segmentationResult } from './segmentation.fold.ts';
import { foldFunnel, funnelResult, initialFunnel } from './funnel.fold.ts';
import { foldRetention, initialRetention, retentionResult } from './retention.fold.ts';

const TZ = 'Asia/Kolkata';
const ALL_TIME = { startMs: 0, endMs: Date.parse('2030-01-01T00:00:00Z') };
const ev = (key: string, atIso: string, extra: Record<string, unknown> = {}) => ({ key, count: 1, timestamp: Date.parse(atIso), ...extra });
const events = (device: string, at: string, list: unknown[], seq?: number) =>
  request(at, { events: list }, { device, tz: TZ, ...(seq === undefined ? {} : { seq }) });
const details = (device: string, at: string, custom: Record<string, unknown>) => request(at, { user_details: { custom } }, { device, tz: TZ });

describe('segmentation fold', () => {
  const spec = segmentationSpec.parse({ event: 'buy', bucket: 'daily', properties: '{"custom.tier":"gold"}', breakdown_by: 'segment', breakdown: 'plan' });
  const job = { spec, ...ALL_TIME };

  it('counts per local day, by the property as it was when each event was recorded, and leaves its input alone', () => {
    const input: FoldEvent[] = [
      details('a', '2026-01-31T10:00:00Z', { tier: 'gold' }),
      // 18:20 UTC on Jan 31 is 23:50 in Kolkata; 18:40 UTC is Feb 1, 00:10.
      events('a', '2026-01-31T19:00:00Z', [
        ev('buy', '2026-01-31T18:20:00Z', { sum: 2.5, segmentation: { plan: 'pro' } }),
        ev('buy', '2026-01-31T18:40:00Z', { count: 2, dur: 3, segmentation: { plan: 'pro' } }),
      ]),
      details('a', '2026-01-31T20:00:00Z', { tier: 'silver' }),
      events('a', '2026-01-31T21:00:00Z', [ev('buy', '2026-01-31T20:30:00Z', { segmentation: { plan: 'pro' } })]),
      events('b', '2026-01-31T21:00:00Z', [ev('buy', '2026-01-31T20:30:00Z', { segmentation: { plan: 'pro' } })]),
    ];
    const state = deepFreeze(initialSegmentation());
    const out = segmentationResult(foldSegmentation(state, input.map(deepFreeze), job), job);
    expect(out.series).toEqual({ '2026.1.31': { pro: { c: 1, s: 2.5, dur: 0, u: 1 } }, '2026.2.1': { pro: { c: 2, s: 0, dur: 3, u: 1 } } });
  });

  it('sessions: begins count and carry the device; durations add time only', () => {
    const sessions = { spec: segmentationSpec.parse({ event: '[CLY]_session', bucket: 'hourly' }), ...ALL_TIME };
    const input = [
      request('2026-02-01T10:05:00Z', { begin_session: '1' }, { device: 'a', tz: 'UTC' }),
      request('2026-02-01T10:06:00Z', { session_duration: '60' }, { device: 'a', tz: 'UTC' }),
      request('2026-02-01T10:40:00Z', { session_duration: '20' }, { device: 'b', tz: 'UTC' }),
    ];
    const out = segmentationResult(foldSegmentation(initialSegmentation(), input, sessions), sessions);
    expect(out.series).toEqual({ '2026.2.1.10': { all: { c: 1, s: 0, dur: 80, u: 1 } } });
  });

  it('leaves out events outside the period', () => {
    const narrow = {
      spec: segmentationSpec.parse({ event: 'buy' }),
      startMs: Date.parse('2026-02-01T00:00:00Z'),
      endMs: Date.parse('2026-02-01T23:59:59.999Z'),
    };
    const input = [
      events('a', '2026-02-03T00:00:00Z', [ev('buy', '2026-01-31T23:00:00Z'), ev('buy', '2026-02-01T01:00:00Z'), ev('buy', '2026-02-02T01:00:00Z')]),
    ];
    const out = segmentationResult(foldSegmentation(initialSegmentation(), input, narrow), narrow);
    expect(out.series).toEqual({ '2026.2.1': { all: { c: 1, s: 0, dur: 0, u: 1 } } });
  });
});

describe('funnel fold', () => {
  const spec = funnelSpec.parse({ steps: '[{"event":"view"},{"event":"cart"},{"event":"buy","segments":{"plan":["pro"]}}]', window_s: 3600 });
  const job = { spec, ...ALL_TIME };
  const users = (input: FoldEvent[]) => funnelResult(foldFunnel(initialFunnel(), input, job), job).steps.map((s) => s.users);

  it('a later first step restarts the window: view, view 50 min later, cart, buy within the hour of the second view', () => {
    const input = [
      events('a', '2026-02-01T12:00:00Z', [
        ev('view', '2026-02-01T10:00:00Z'),
        ev('view', '2026-02-01T10:50:00Z'),
        ev('cart', '2026-02-01T11:00:00Z'),
        ev('buy', '2026-02-01T11:40:00Z', { segmentation: { plan: 'pro' } }),
      ]),
    ];
    expect(users(input)).toEqual([1, 1, 1]);
  });

  it('a step outside the window or with the wrong segment does not count; one event never serves two steps', () => {
    expect(users([events('a', '2026-02-01T12:00:00Z', [ev('view', '2026-02-01T08:00:00Z'), ev('cart', '2026-02-01T10:00:00Z')])])).toEqual([1, 0, 0]);
    expect(
      users([events('b', '2026-02-01T12:00:00Z', [ev('view', '2026-02-01T10:00:00Z'), ev('cart', '2026-02-01T10:01:00Z'), ev('buy', '2026-02-01T10:02:00Z')])]),
    ).toEqual([1, 1, 0]);
    const same = funnelSpec.parse({ steps: '[{"event":"view"},{"event":"view"}]' });
    const once = { spec: same, ...ALL_TIME };
    expect(
      funnelResult(foldFunnel(initialFunnel(), [events('c', '2026-02-01T12:00:00Z', [ev('view', '2026-02-01T10:00:00Z')])], once), once).steps.map(
        (s) => s.users,
      ),
    ).toEqual([1, 0]);
  });
});

describe('retention fold', () => {
  const job = { spec: retentionSpec.parse({ cohort: 'daily', periods: 3 }), ...ALL_TIME };
  const seen = (device: string, iso: string) => request(iso, { begin_session: '1' }, { device, tz: TZ });
  const input = [
    seen('a', '2026-01-30T10:00:00Z'),
    seen('a', '2026-01-31T10:00:00Z'),
    seen('b', '2026-01-31T10:00:00Z'),
    seen('a', '2026-02-02T10:00:00Z'),
    seen('b', '2026-01-31T20:00:00Z'),
  ];

  it('cohorts by first local day; returns per following day; the order of arrival does not matter', () => {
    const out = retentionResult(foldRetention(initialRetention(), input, job), job);
    // b's 20:00 UTC visit is Feb 1 in Kolkata: a return on day 1.
    expect(out.cohorts).toEqual([
      { cohort: '2026.1.30', size: 1, returned: [1, 0, 1], percent: [100, 0, 100] },
      { cohort: '2026.1.31', size: 1, returned: [1, 0, 0], percent: [100, 0, 0] },
    ]);
    expect(retentionResult(foldRetention(initialRetention(), [...input].reverse(), job), job)).toEqual(out);
  });
});

describe('openReport', () => {
  it('folding in pieces through checkpoint JSON equals one pass', () => {
    const job: ReportJob = reportJob.parse({
      kind: 'segmentation',
      spec: { event: 'buy', bucket: 'weekly', breakdown_by: 'property', breakdown: 'custom.tier' },
      appId: '0123456789abcdef01234567',
      ...ALL_TIME,
    });
    const input = [
      details('a', '2026-01-30T10:00:00Z', { tier: 'gold' }),
      events('a', '2026-01-30T11:00:00Z', [ev('buy', '2026-01-30T10:30:00Z')]),
      events('b', '2026-02-02T11:00:00Z', [ev('buy', '2026-02-02T10:30:00Z', { count: 3 })]),
      details('a', '2026-02-03T10:00:00Z', { tier: 'silver' }),
      events('a', '2026-02-03T11:00:00Z', [ev('buy', '2026-02-03T10:30:00Z')]),
    ];
    const whole = openReport(job);
    whole.fold(input);
    const first = openReport(job);
    first.fold(input.slice(0, 2));
    const resumed = openReport(job, first.stateJson());
    resumed.fold(input.slice(2));
    expect(resumed.result()).toEqual(whole.result());
    // Weeks start on Monday: Jan 30 (Friday) is in the week of Jan 26; Feb 2 and 3 in the week of Feb 2.
    expect(Object.keys((whole.result() as { series: object }).series)).toEqual(['2026.1.26', '2026.2.2']);
  });
});

describe('reportRequestOf', () => {
  it('reads the same facts as normalizeRequest', () => {
    const input = [
      request(
        '2026-02-01T10:00:00Z',
        { begin_session: '1', timestamp: '1769940000', session_duration: '-5', events: '[{"key":"a","count":"2","segmentation":{"$x.y":"v"}}]' },
        { tz: TZ },
      ),
      request('2026-02-01T10:00:00Z', { user_details: '{"name":"Ada","custom":{"tier":"gold","n":{"$inc":1}}}' }, { tz: TZ }),
      request('2026-02-01T10:00:00Z', { events: 'not json', session_duration: '90000' }, { tz: TZ }),
    ];
    for (const e of input) {
      const n = normalizeRequest(e);
      const r = reportRequestOf(e);
      expect(r).toEqual({
        deviceId: n.deviceId,
        timezone: n.timezone,
        time: n.time,
        beginSession: n.beginSession,
        sessionDurationS: n.sessionDurationS,
        events: n.events,
        userDetails: n.userDetails,
      });
    }
  });
});
