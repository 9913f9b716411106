import { TallyError } from '../projections/index.ts';

/** JetStream did not acknowledge a publish in time, or is unreachable: 503 with Retry-After. */
export class PublishUnavailableError extends TallyError {
  override readonly name = 'PublishUnavailableError';
  readonly code = 'TALLY_INGEST_PUBLISH_UNAVAILABLE';
  override readonly statusCode = 503;
}

/** Every error class of this folder, for the registry test. */
export const ingestErrors = [PublishUnavailableError] as const;
