// Exclusive ownership of a consumer group across processes, with a NATS KV key per group.
// The bucket's max age is the lease TTL: a holder refreshes its key every TTL/3; when a holder
// dies its key ages out and another process's create() succeeds within about one TTL.
// Fencing does not rely on the lease alone: every batch claim is a compare-and-set on the
// checkpoint document (projections/store/checkpoint.store.ts).
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { abortableSleep as sleep } from './sleep.ts';

export interface Lease {
  /** The key's revision when this lease was created: unique and increasing across owners (the ownership epoch). */
  readonly epoch: number;
  /** True while the last refresh succeeded within the TTL. */
  held(): boolean;
  release(): Promise<void>;
}

/** Opens (or creates) the lease bucket; `replicas` as the streams' on a cluster, so leases survive a node's loss. */
export async function openLeaseBucket(nc: NatsConnection, bucket: string, ttlMs: number, replicas = 1): Promise<KV> {
  return new Kvm(nc).create(bucket, { ttl: ttlMs, history: 1, replicas });
}

function isHeldElsewhere(err: unknown): boolean {
  return err instanceof Error && /wrong last sequence|key exists/i.test(err.message);
}

/** Keeps a created key alive: refreshes it every TTL/3 until released. */
function holdLease(kv: KV, key: string, owner: string, ttlMs: number, log: Logger, createdRevision: number): Lease {
  let revision = createdRevision;
  let lastRefreshMs = Date.now();
  const everyMs = Math.max(100, Math.floor(ttlMs / 3));
  let dueMs = Date.now() + everyMs;
  const timer = setInterval(() => {
    const startedMs = Date.now();
    // A late timer means this process's event loop was blocked; a slow update means the server was.
    const lateMs = startedMs - dueMs;
    dueMs = startedMs + everyMs;
    kv.update(key, owner, revision).then(
      (rev) => {
        revision = rev;
        lastRefreshMs = Date.now();
        const updateMs = lastRefreshMs - startedMs;
        if (lateMs > everyMs || updateMs > everyMs) log.warn({ key, lateMs, updateMs, ttlMs }, 'lease refresh slow');
      },
      (err: unknown) => log.warn({ err, key, lateMs, updateMs: Date.now() - startedMs }, 'lease refresh failed'),
    );
  }, everyMs);
  timer.unref();
  return {
    epoch: createdRevision,
    held: () => Date.now() - lastRefreshMs < ttlMs,
    async release() {
      clearInterval(timer);
      await kv.delete(key, { previousSeq: revision }).catch((err: unknown) => log.warn({ err, key }, 'lease release failed; it will expire'));
    },
  };
}

/** One attempt: the lease when the key was free, undefined when another owner holds it. */
export async function tryAcquireLease(kv: KV, key: string, owner: string, ttlMs: number, log: Logger): Promise<Lease | undefined> {
  try {
    return holdLease(kv, key, owner, ttlMs, log, await kv.create(key, owner));
  } catch (err) {
    if (isHeldElsewhere(err)) return undefined;
    throw err;
  }
}

/** Waits until the key is ours (or the signal aborts: then resolves undefined). */
export async function acquireLease(kv: KV, key: string, owner: string, ttlMs: number, log: Logger, signal: AbortSignal): Promise<Lease | undefined> {
  while (!signal.aborted) {
    try {
      return holdLease(kv, key, owner, ttlMs, log, await kv.create(key, owner));
    } catch (err) {
      // Held by someone else is the expected case; anything else is logged.
      if (!isHeldElsewhere(err)) log.warn({ err, key }, 'lease create failed');
      await sleep(Math.max(200, Math.floor(ttlMs / 4)), signal);
    }
  }
  return undefined;
}

/** Who holds a lease key now; undefined when it is free. */
export async function leaseHolder(kv: KV, key: string): Promise<string | undefined> {
  const entry = await kv.get(key);
  return entry === null || entry.operation !== 'PUT' ? undefined : entry.string();
}
