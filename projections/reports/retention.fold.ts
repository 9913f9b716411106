// Retention cohorts over raw requests: devices grouped by the day (or week) they were first seen
// in the period, and how many of each cohort came back on each following day (or week). "Seen"
// is any request of the device, at its request time in the app's timezone.
import { dict, own } from '../dict.ts';
import { RecordDraft } from '../draft.ts';
import type { FoldEvent } from '../fold.ts';
import { normalizedRequestOf } from '../request.ts';
import { dayIndex, dayLabel, weekIndexOfDay, weekLabel } from './report-time.ts';
import type { RetentionSpec } from './report-spec.ts';

export interface RetentionDevice {
  /** First bucket index (day or week number) seen in the period. */
  readonly first: number;
  /** Offsets 1..periods after `first` on which the device was seen. */
  readonly back: readonly number[];
}

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

export function foldRetention(state: RetentionState, events: readonly FoldEvent[], job: RetentionJob): RetentionState {
  const devices = new RecordDraft(state.devices);
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.seq !== undefined) lastSeq = Math.max(lastSeq ?? 0, event.seq);
    if (event.type !== 'SdkRequestReceived') continue;
    const req = normalizedRequestOf(event);
    if (req.time.timestampMs < job.startMs || req.time.timestampMs > job.endMs) continue;
    const day = dayIndex(req.time);
    const index = job.spec.cohort === 'daily' ? day : weekIndexOfDay(day);
    const device = devices.get(req.deviceId);
    if (device === undefined) {
      devices.set(req.deviceId, { first: index, back: [] });
      continue;
    }
    const offset = index - device.first;
    // A request dated before the first one seen (out of order) does not move the cohort.
    if (offset < 1 || offset > job.spec.periods || device.back.includes(offset)) continue;
    devices.set(req.deviceId, { first: device.first, back: [...device.back, offset] });
  }
  return { devices: devices.result(), lastSeq };
}

const pct = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part * 10_000) / whole) / 100);

export function retentionResult(state: RetentionState, job: RetentionJob): RetentionResult {
  const byFirst = dict<{ size: number; returned: number[] }>();
  for (const device of Object.values(state.devices)) {
    const key = String(device.first);
    const row = own(byFirst, key) ?? { size: 0, returned: Array.from({ length: job.spec.periods }, () => 0) };
    row.size++;
    for (const offset of device.back) row.returned[offset - 1] = (row.returned[offset - 1] ?? 0) + 1;
    byFirst[key] = row;
  }
  const label = job.spec.cohort === 'daily' ? dayLabel : weekLabel;
  const cohorts = Object.entries(byFirst)
    .map(([first, row]) => ({ first: Number(first), row }))
    .sort((a, b) => a.first - b.first)
    .map(({ first, row }) => ({ cohort: label(first), size: row.size, returned: row.returned, percent: row.returned.map((n) => pct(n, row.size)) }));
  return { cohort: job.spec.cohort, periods: job.spec.periods, cohorts };
}
