// The lease that makes one rebuild per projection run at a time: a key in the groups' lease
// bucket, taken again after a missed refresh when nobody else took it meanwhile.
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { RebuildBusyError } from './errors.ts';
import { tryAcquireLease, type Lease } from './lease.ts';
import { sleep } from './sleep.ts';

export const rebuildLeaseKey = (pipeline: string): string => `rebuild_${pipeline}`;

/**
 * The rebuild lease, waiting up to two TTLs: a rebuild killed a moment ago still holds it until
 * its key expires, and starting again right away must resume it rather than fail.
 */
export async function acquireRebuildLease(kv: KV, key: string, owner: string, ttlMs: number, log: Logger): Promise<Lease | undefined> {
  const deadline = Date.now() + 2 * ttlMs;
  for (;;) {
    const lease = await tryAcquireLease(kv, key, owner, ttlMs, log);
    if (lease !== undefined || Date.now() > deadline) return lease;
    await sleep(Math.max(100, Math.floor(ttlMs / 5)));
  }
}

export interface RebuildLeaseOptions {
  /** The lease bucket (also holding the groups' leases). */
  readonly kv: KV;
  readonly pipeline: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly log: Logger;
}

/** A held rebuild lease that a running rebuild checks at every progress step. */
export interface HeldRebuildLease {
  /**
   * After a refresh was missed (a long stall of this process or of the server): takes the lease
   * again when its key expired and nobody took it meanwhile, else throws RebuildBusyError.
   * Another rebuild process could only have taken it through the key, so holding it again
   * means none did.
   */
  keep(): Promise<void>;
  release(): Promise<void>;
}

export function holdRebuildLease(o: RebuildLeaseOptions, taken: Lease): HeldRebuildLease {
  let lease = taken;
  return {
    async keep() {
      if (lease.held()) return;
      await lease.release();
      const again = await tryAcquireLease(o.kv, rebuildLeaseKey(o.pipeline), o.owner, o.ttlMs, o.log);
      if (again === undefined) throw new RebuildBusyError(`lost the rebuild lease of ${o.pipeline}`);
      o.log.warn('rebuild lease refreshed late; taken again');
      lease = again;
    },
    release: () => lease.release(),
  };
}
