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

/** Every error class of this folder, for the registry test. */
export const httpErrors = [CountlyReplyError] as const;
