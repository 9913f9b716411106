// A bound on calls that may never return (a stalled server must fail a baseline, not hang the run).
import { BaselineFailedError } from './errors.ts';

/** Resolves like `work`, or rejects with BaselineFailedError after `timeoutMs`. */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new BaselineFailedError(`${what} did not return within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
