import { TallyError } from '../projections/index.ts';

/** Another process took over a consumer group (lost lease or checkpoint moved). */
export class OwnershipLostError extends TallyError {
  override readonly name = 'OwnershipLostError';
  readonly code = 'TALLY_PROCESSOR_OWNERSHIP_LOST';
}

/** A rebuild of this projection is already running in another process (it holds the lease). */
export class RebuildBusyError extends TallyError {
  override readonly name = 'RebuildBusyError';
  readonly code = 'TALLY_REBUILD_BUSY';
  override readonly statusCode = 409;
}

/** A rebuild that cannot give a correct result as asked (aged-out events, a live base, a gap). */
export class RebuildRefusedError extends TallyError {
  override readonly name = 'RebuildRefusedError';
  readonly code = 'TALLY_REBUILD_REFUSED';
  override readonly statusCode = 400;
}

/** The named projection is not one this process knows. */
export class UnknownProjectionError extends TallyError {
  override readonly name = 'UnknownProjectionError';
  readonly code = 'TALLY_UNKNOWN_PROJECTION';
  override readonly statusCode = 400;
}

/** A rebuild command that is not JSON or does not match its schema. */
export class RebuildCommandInvalidError extends TallyError {
  override readonly name = 'RebuildCommandInvalidError';
  readonly code = 'TALLY_REBUILD_BAD_COMMAND';
  override readonly statusCode = 400;
}

/** A rebuild command failed for a reason that is not a TallyError (a bug, logged where it happens). */
export class RebuildFailedError extends TallyError {
  override readonly name = 'RebuildFailedError';
  readonly code = 'TALLY_REBUILD_FAILED';
}

/** Every error class of this folder, for the registry test. */
export const processorErrors = [
  OwnershipLostError,
  RebuildBusyError,
  RebuildRefusedError,
  UnknownProjectionError,
  RebuildCommandInvalidError,
  RebuildFailedError,
] as const;
