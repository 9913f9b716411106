import { TallyError } from '../projections/index.ts';

/** A client-supplied filter, sort or projection uses something outside the allow-list: 400, nothing queried. */
export class QueryRefusedError extends TallyError {
  override readonly name = 'QueryRefusedError';
  readonly code = 'TALLY_API_QUERY_REFUSED';
  override readonly statusCode = 400;
}

/** A `period` spans more days than `api.maxPeriodDays`: 400, nothing read. */
export class PeriodTooLongError extends TallyError {
  override readonly name = 'PeriodTooLongError';
  readonly code = 'TALLY_API_PERIOD_TOO_LONG';
  override readonly statusCode = 400;
  constructor(readonly maxDays?: number) {
    super(`Period is longer than the maximum of ${maxDays ?? '?'} days`);
  }
}

/**
 * NATS could not carry a request the API makes (no responder, timeout, disconnected): 503. Not a
 * store fault: MongoDB may be fine while no processor listens.
 */
export class StreamUnavailableError extends TallyError {
  override readonly name = 'StreamUnavailableError';
  readonly code = 'TALLY_STREAM_UNAVAILABLE';
  override readonly statusCode = 503;
}

/** The configured first admin cannot be created (start-up stops). */
export class BootstrapError extends TallyError {
  override readonly name = 'BootstrapError';
  readonly code = 'TALLY_BOOTSTRAP';
}

/** Every error class of this folder, for the registry test. */
export const apiErrors = [QueryRefusedError, PeriodTooLongError, StreamUnavailableError, BootstrapError] as const;
