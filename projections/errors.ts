/**
 * Base class of every error Tally raises on purpose. Subclasses live in each folder's
 * `errors.ts`, set a stable `code`, and a `statusCode` when they can reach HTTP.
 */
export abstract class TallyError extends Error {
  abstract readonly code: string;
  readonly statusCode: number | undefined = undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stored or streamed event does not match the envelope contract. */
export class EventDecodeError extends TallyError {
  override readonly name = 'EventDecodeError';
  readonly code = 'TALLY_EVENT_DECODE';
}

/** A projection flush (bulkWrite) failed; the batch is not acknowledged. */
export class FlushFailedError extends TallyError {
  override readonly name = 'FlushFailedError';
  readonly code = 'TALLY_FLUSH_FAILED';
  constructor(
    readonly projection: string,
    options?: { cause?: unknown },
  ) {
    super(`flush of projection ${projection} failed`, options);
  }
}

/**
 * A read a batch needs before it can fold (the app users, uid counters, registries it touches)
 * failed: an infrastructure fault, retried like a failed flush, but not a write.
 */
export class StoreReadFailedError extends TallyError {
  override readonly name = 'StoreReadFailedError';
  readonly code = 'TALLY_STORE_READ_FAILED';
  constructor(
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(`read of ${what} failed`, options);
  }
}

/** A MongoDB read or write outside a flush failed. */
export class StoreUnavailableError extends TallyError {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'TALLY_STORE_UNAVAILABLE';
  override readonly statusCode = 503;
}

/**
 * Folding an event produced a write the store cannot take (a non-finite or oversized number, an
 * unstorable field path): the event's content is at fault, not the infrastructure, so the
 * engine isolates and dead-letters it instead of retrying.
 */
export class UnwritableFoldError extends TallyError {
  override readonly name = 'UnwritableFoldError';
  readonly code = 'TALLY_FOLD_UNWRITABLE';
}

/** Every error class of this folder, for the registry test. */
export const projectionErrors = [EventDecodeError, FlushFailedError, StoreReadFailedError, StoreUnavailableError, UnwritableFoldError] as const;
