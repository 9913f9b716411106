// The store's one wrapper for a database call that fails for infrastructure reasons: the caller
// sees a StoreUnavailableError (503 at the edge) with the driver's error as its cause.
import { StoreUnavailableError } from '../errors.ts';

/** Runs one database call; a failure becomes StoreUnavailableError(`<what> failed`). */
export async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new StoreUnavailableError(`${what} failed`, { cause: err });
  }
}
