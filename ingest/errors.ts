import { TallyError } from '../projections/index.ts';

/**
 * An answer in Countly's message-writer shape `{"result": <result>}` with a chosen status.
 * Used for every expected refusal (bad input, missing app, auth), spec §1.3.
 */
export class CountlyReplyError extends TallyError {
  override readonly name = 'CountlyReplyError';
  readonly code = 'TALLY_HTTP_REPLY';
  override readonly statusCode: number;
  constructor(statusCode: number, readonly result: unknown, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(typeof result === 'string' ? result : JSON.stringify(result), options);
    this.statusCode = statusCode;
    this.headers = options?.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

/** JetStream did not acknowledge a publish in time, or is unreachable: 503 with Retry-After. */
export class PublishUnavailableError extends TallyError {
  override readonly name = 'PublishUnavailableError';
  readonly code = 'TALLY_INGEST_PUBLISH_UNAVAILABLE';
  override readonly statusCode = 503;
}

export const ingestErrors = [CountlyReplyError, PublishUnavailableError] as const;
