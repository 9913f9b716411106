// One measured phase: CPU per process around it, and a CPU profile when asked for.
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { cpuPercent, formatCpu, snapshot, type ProcessProbe } from './cpu.ts';
import { withCpuProfile, type ProfileSummary } from './profile.ts';

export interface PhaseResult<T> {
  readonly result: T;
  /** % of one core per process over the phase. */
  readonly cpu: Readonly<Record<string, number>>;
  /** Event-loop delay of this process (Tally's loop in Tally phases) over the phase, ms. */
  readonly loopDelay: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** `CPU main 98%, load-gen 60%, ...; loop delay ...` for figure notes. */
  readonly note: string;
  readonly profile?: ProfileSummary;
}

export interface ProfilingOptions {
  /** Directory the .cpuprofile files go to. */
  readonly dir: string;
  /** File-name prefix (the run's timestamp). */
  readonly stamp: string;
}

/** Event-loop delay sampling interval, ms. */
const LOOP_SAMPLE_MS = 5;

/** CPU used by processes outside the bench above which a phase is flagged as disturbed, % of a core. */
export const NOISE_THRESHOLD_PCT = 15;

export interface NoisyPhase {
  readonly phase: string;
  /** CPU other processes on the machine used during the phase, % of one core. */
  readonly otherPct: number;
}

export class PhaseRunner {
  readonly profiles: ProfileSummary[] = [];
  /** Phases during which something outside the bench took CPU: their figures are suspect. */
  readonly noisy: NoisyPhase[] = [];

  constructor(
    private readonly log: Logger,
    private readonly probes: () => readonly ProcessProbe[],
    private readonly profiling?: ProfilingOptions,
  ) {}

  /** Runs `fn`; with `profile` (and profiling on for this run) also writes its CPU profile. */
  async run<T>(label: string, fn: () => Promise<T>, opts: { profile?: boolean } = {}): Promise<PhaseResult<T>> {
    this.log.info({ phase: label }, 'bench phase started');
    const probes = this.probes();
    const loop = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
    loop.enable();
    const before = snapshot(probes);
    const startedMs = performance.now();
    let result: T;
    let profile: ProfileSummary | undefined;
    if (opts.profile === true && this.profiling !== undefined) {
      const file = join(this.profiling.dir, `${this.profiling.stamp}-${label.replace(/[^\w.-]+/g, '_')}.cpuprofile`);
      ({ result, summary: profile } = await withCpuProfile(file, fn));
      this.profiles.push(profile);
    } else {
      result = await fn();
    }
    const cpu = cpuPercent(before, snapshot(probes), performance.now() - startedMs);
    loop.disable();
    // The histogram holds the sampling interval plus the delay; keep only the delay.
    const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4 - LOOP_SAMPLE_MS * 100) / 100);
    const loopDelay = { p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max) };
    this.log.info({ phase: label, durationMs: Math.round(performance.now() - startedMs), cpu }, 'bench phase done');
    if ((cpu.other ?? 0) > NOISE_THRESHOLD_PCT) this.noisy.push({ phase: label, otherPct: cpu.other ?? 0 });
    const note = `CPU ${formatCpu(cpu)}; main event-loop delay p99 ${loopDelay.p99Ms} ms, max ${loopDelay.maxMs} ms`;
    return { result, cpu, loopDelay, note, ...(profile !== undefined ? { profile } : {}) };
  }
}
