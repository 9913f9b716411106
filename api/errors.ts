import { TallyError } from '../projections/index.ts';

/** A client-supplied filter, sort or projection uses something outside the allow-list: 400, nothing queried. */
export class QueryRefusedError extends TallyError {
  override readonly name = 'QueryRefusedError';
  readonly code = 'TALLY_API_QUERY_REFUSED';
  override readonly statusCode = 400;
}

/** Every error class of this folder, for the registry test. */
export const apiErrors = [QueryRefusedError] as const;
