// Errors the bench raises on purpose (STYLE.md §4): one class per decision a caller takes.
import { TallyError } from '../projections/index.ts';

/** A scenario that is registered but not written yet; the report says so instead of failing. */
export class ScenarioNotImplementedError extends TallyError {
  override readonly name = 'ScenarioNotImplementedError';
  readonly code = 'TALLY_BENCH_NOT_IMPLEMENTED';
  constructor(readonly scenario = 'unknown') {
    super(`scenario ${scenario} is not implemented yet`);
  }
}

/** The bench could not prepare what a scenario needs (admin key, apps, servers). */
export class BenchSetupError extends TallyError {
  override readonly name = 'BenchSetupError';
  readonly code = 'TALLY_BENCH_SETUP';
}

/** The load-generator process failed or sent something unexpected. */
export class LoadWorkerError extends TallyError {
  override readonly name = 'LoadWorkerError';
  readonly code = 'TALLY_BENCH_LOAD_WORKER';
}

/** A baseline measurement could not complete. */
export class BaselineFailedError extends TallyError {
  override readonly name = 'BaselineFailedError';
  readonly code = 'TALLY_BENCH_BASELINE';
}

/** Tally did not finish the work a scenario waits for (apply what was published) in time. */
export class BenchTimeoutError extends TallyError {
  override readonly name = 'BenchTimeoutError';
  readonly code = 'TALLY_BENCH_TIMEOUT';
}

/** Bad command-line arguments. */
export class BenchUsageError extends TallyError {
  override readonly name = 'BenchUsageError';
  readonly code = 'TALLY_BENCH_USAGE';
}

export const benchErrors = [ScenarioNotImplementedError, BenchSetupError, LoadWorkerError, BaselineFailedError, BenchTimeoutError, BenchUsageError] as const;
