// Funnel over raw events: ordered steps (event keys with optional segment filters) that a device
// completes within a window from its first step. A device reaches step k when it has events
// matching steps 1..k in that order with the k-th at most `window_s` after the first. Per device
// the fold keeps, for each step, the latest start time of a chain that reached it (the latest
// start leaves the most room for the next step), so one pass in stream order is exact for
// events that arrive in time order per device (what an SDK sends).
import { own } from '../dict.ts';
import { RecordDraft } from '../draft.ts';
import type { CleanEvent } from '../event-clean.ts';
import type { FoldEvent } from '../fold.ts';
import { reportRequestOf } from '../request.ts';
import type { FunnelSpec } from './report-spec.ts';

export interface FunnelDevice {
  /** Per step: start ms of the latest-starting chain that reached it; null when none. */
  readonly starts: readonly (number | null)[];
  /** Most steps reached, 0..steps. */
  readonly best: number;
}

export interface FunnelState {
  readonly devices: Readonly<Record<string, FunnelDevice>>;
  readonly lastSeq: number | null;
}

export interface FunnelJob {
  readonly spec: FunnelSpec;
  readonly startMs: number;
  readonly endMs: number;
}

export interface FunnelStepResult {
  readonly step: number;
  readonly event: string;
  /** Devices that reached this step. */
  readonly users: number;
  /** Share of the first step's devices, percent with 2 decimals. */
  readonly percent: number;
  /** Share of the previous step's devices, percent with 2 decimals. */
  readonly percentOfPrevious: number;
}

export interface FunnelResult {
  readonly windowS: number;
  readonly steps: readonly FunnelStepResult[];
}

export const initialFunnel = (): FunnelState => ({ devices: {}, lastSeq: null });

const matches = (step: FunnelSpec['steps'][number], e: CleanEvent): boolean =>
  step.event === e.key &&
  Object.entries(step.segments ?? {}).every(([k, allowed]) => {
    const v = e.segments.find((s) => s.key === k)?.value;
    return v !== undefined && allowed.includes(v);
  });

/** One event of one device: steps are tried from the last down, so one event never serves two steps of one chain. */
export function advance(device: FunnelDevice, e: CleanEvent, spec: FunnelSpec): FunnelDevice {
  const windowMs = spec.window_s * 1_000;
  let starts: (number | null)[] | undefined;
  let best = device.best;
  for (let j = spec.steps.length - 1; j >= 0; j--) {
    const step = spec.steps[j];
    if (step === undefined || !matches(step, e)) continue;
    const prev = j === 0 ? e.timeMs : (device.starts[j - 1] ?? null);
    if (prev === null || e.timeMs - prev > windowMs) continue;
    const current = (starts ?? device.starts)[j] ?? null;
    if (current !== null && current >= prev) continue;
    starts ??= [...device.starts];
    starts[j] = prev;
    best = Math.max(best, j + 1);
  }
  return starts === undefined ? device : { starts, best };
}

export function foldFunnel(state: FunnelState, events: readonly FoldEvent[], job: FunnelJob): FunnelState {
  const devices = new RecordDraft(state.devices);
  const empty: FunnelDevice = { starts: job.spec.steps.map(() => null), best: 0 };
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.seq !== undefined) lastSeq = Math.max(lastSeq ?? 0, event.seq);
    if (event.type !== 'SdkRequestReceived') continue;
    const req = reportRequestOf(event);
    let device = devices.get(req.deviceId);
    for (const e of req.events) {
      if (e.timeMs < job.startMs || e.timeMs > job.endMs) continue;
      device = advance(device ?? empty, e, job.spec);
    }
    if (device !== undefined && device !== own(state.devices, req.deviceId)) devices.set(req.deviceId, device);
  }
  return { devices: devices.result(), lastSeq };
}

const pct = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part * 10_000) / whole) / 100);

export function funnelResult(state: FunnelState, job: FunnelJob): FunnelResult {
  const reached = job.spec.steps.map(() => 0);
  for (const device of Object.values(state.devices)) for (let k = 0; k < device.best; k++) reached[k] = (reached[k] ?? 0) + 1;
  return {
    windowS: job.spec.window_s,
    steps: job.spec.steps.map((step, i) => ({
      step: i + 1,
      event: step.event,
      users: reached[i] ?? 0,
      percent: pct(reached[i] ?? 0, reached[0] ?? 0),
      percentOfPrevious: i === 0 ? (reached[0] === 0 ? 0 : 100) : pct(reached[i] ?? 0, reached[i - 1] ?? 0),
    })),
  };
}
