// Retention cohorts over raw requests: devices grouped by the day (or week) they were first seen
// in the period, and how many of each cohort came back on each following day (or week). "Seen"
// is any request of the device at its request time, and any event it carries at the event's
// time, in the app's timezone. The state is the set of days per device, so the result does not
// depend on the order requests arrive in (backdated traffic included).
import { dict, own } from '../dict.ts';
import { RecordDraft } from '../draft.ts';
import type { FoldEvent } from '../fold.ts';
import { reportRequestOf } from '../request.ts';
import { timeObject } from '../time.ts';
import { dayIndex, dayLabel, weekIndexOfDay, weekLabel } from './report-time.ts';
import type { RetentionSpec } from './report-spec.ts';

/** Day (or week) numbers on which a device was seen in the period, ascending. */
export type RetentionDevice = readonly number[];

export interface RetentionState {
  readonly devices: Readonly<Record<string, RetentionDevice>>;
  readonly lastSeq: number | null;
}

export interface RetentionJob {
  readonly spec: RetentionSpec;
  readonly startMs: number;
  readonly endMs: number;
}

export interface RetentionCohort {
  /** First day of the cohort (`Y.M.D`; the Monday for weekly cohorts). */
  readonly cohort: string;
  readonly size: number;
  /** Devices of the cohort seen again 1, 2, ... `periods` days (weeks) later. */
  readonly returned: readonly number[];
  /** The same as percent of `size`, 2 decimals. */
  readonly percent: readonly number[];
}

export interface RetentionResult {
  readonly cohort: RetentionSpec['cohort'];
  readonly periods: number;
  readonly cohorts: readonly RetentionCohort[];
}

export const initialRetention = (): RetentionState => ({ devices: {}, lastSeq: null });

const inPeriod = (job: RetentionJob, ms: number): boolean => ms >= job.startMs && ms <= job.endMs;

export function foldRetention(state: RetentionState, events: readonly FoldEvent[], job: RetentionJob): RetentionState {
  const devices = new RecordDraft(state.devices);
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.seq !== undefined) lastSeq = Math.max(lastSeq ?? 0, event.seq);
    if (event.type !== 'SdkRequestReceived') continue;
    const req = reportRequestOf(event);
    const times = [req.time, ...req.events.map((e) => (e.timeMs === req.time.timestampMs ? req.time : timeObject(e.timeMs, req.timezone)))];
    for (const t of times) {
      if (!inPeriod(job, t.timestampMs)) continue;
      const day = dayIndex(t);
      const index = job.spec.cohort === 'daily' ? day : weekIndexOfDay(day);
      const seen = devices.get(req.deviceId) ?? [];
      if (!seen.includes(index))
        devices.set(
          req.deviceId,
          [...seen, index].sort((a, b) => a - b),
        );
    }
  }
  return { devices: devices.result(), lastSeq };
}

const pct = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part * 10_000) / whole) / 100);

export function retentionResult(state: RetentionState, job: RetentionJob): RetentionResult {
  const byFirst = dict<{ size: number; returned: number[] }>();
  for (const seen of Object.values(state.devices)) {
    const first = seen[0];
    if (first === undefined) continue;
    const key = String(first);
    const row = own(byFirst, key) ?? { size: 0, returned: Array.from({ length: job.spec.periods }, () => 0) };
    row.size++;
    for (const index of seen) {
      const offset = index - first;
      if (offset >= 1 && offset <= job.spec.periods) row.returned[offset - 1] = (row.returned[offset - 1] ?? 0) + 1;
    }
    byFirst[key] = row;
  }
  const label = job.spec.cohort === 'daily' ? dayLabel : weekLabel;
  const cohorts = Object.entries(byFirst)
    .map(([first, row]) => ({ first: Number(first), row }))
    .sort((a, b) => a.first - b.first)
    .map(({ first, row }) => ({ cohort: label(first), size: row.size, returned: row.returned, percent: row.returned.map((n) => pct(n, row.size)) }));
  return { cohort: job.spec.cohort, periods: job.spec.periods, cohorts };
}
