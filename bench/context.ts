// What every scenario receives: the budget, the seed, the load generator, the shared
// baselines, and a way to start its own Tally.
import type { Logger } from 'pino';
import type { Role } from '../scripts/runtime.ts';
import type { Baselines } from './baselines.ts';
import type { Figure } from './figures.ts';
import type { LoadClient } from './load-client.ts';
import type { BenchMode, Budget } from './modes.ts';
import type { PhaseResult } from './phase.ts';
import type { BenchConsumerSettings, BenchTally } from './tally.ts';
import type { Workload, WorkloadApp } from './workload.ts';

export interface BenchContext {
  readonly mode: BenchMode;
  readonly budget: Budget;
  readonly seed: number;
  /** The workload's "now", ms (start of the current UTC hour, so reruns within it match). */
  readonly anchorMs: number;
  readonly log: Logger;
  /** HTTP load generator running in its own process. */
  readonly load: LoadClient;
  /** Baselines of this run; ask for one right before the Tally figure it sits next to. */
  readonly baselines: Baselines;
  /** Tally with these roles (plus `api`) on a fresh stream prefix and database; call destroy(). */
  startTally(roles: readonly Role[], opts?: { readonly monitorCommands?: boolean; readonly consumers?: BenchConsumerSettings }): Promise<BenchTally>;
  /** Runs a measured Tally phase: CPU per process, and a CPU profile under `--profile`. */
  tallyPhase<T>(label: string, fn: () => Promise<T>): Promise<PhaseResult<T>>;
  /** A deterministic workload over these apps; different salts give independent traffic. */
  workload(apps: readonly WorkloadApp[], salt: number): Workload;
}

/** A benchmark scenario: `npm run bench -- <name>`. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}
