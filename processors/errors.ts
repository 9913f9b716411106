import { TallyError } from '../projections/index.ts';

/** Another process took over a consumer group (lost lease or checkpoint moved). */
export class OwnershipLostError extends TallyError {
  override readonly name = 'OwnershipLostError';
  readonly code = 'TALLY_PROCESSOR_OWNERSHIP_LOST';
}

export const processorErrors = [OwnershipLostError] as const;
