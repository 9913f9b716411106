// Exclusive ownership of a consumer group across processes, with a NATS KV key per group.
// The bucket's max age is the lease TTL: a holder refreshes its key every TTL/3; when a holder
// dies its key ages out and another process's create() succeeds within about one TTL.
// Fencing does not rely on the lease alone: every batch claim is a compare-and-set on the
// checkpoint document (projections/store/checkpoint.store.ts).
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export interface Lease {
  /** True while the last refresh succeeded within the TTL. */
  held(): boolean;
  release(): Promise<void>;
}

export async function openLeaseBucket(nc: NatsConnection, bucket: string, ttlMs: number): Promise<KV> {
  return new Kvm(nc).create(bucket, { ttl: ttlMs, history: 1 });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((res) => {
    const onAbort = () => {
      clearTimeout(t);
      res();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      res();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Waits until the key is ours (or the signal aborts: then resolves undefined). */
export async function acquireLease(kv: KV, key: string, owner: string, ttlMs: number, log: Logger, signal: AbortSignal): Promise<Lease | undefined> {
  let revision = 0;
  while (!signal.aborted) {
    try {
      revision = await kv.create(key, owner);
      break;
    } catch (err) {
      // Held by someone else (wrong last sequence) is the expected case; anything else is logged.
      if (!(err instanceof Error && /wrong last sequence|key exists/i.test(err.message))) log.warn({ err, key }, 'lease create failed');
      await sleep(Math.max(200, Math.floor(ttlMs / 4)), signal);
    }
  }
  if (signal.aborted) return undefined;
  let lastRefreshMs = Date.now();
  const timer = setInterval(() => {
    kv.update(key, owner, revision).then(
      (rev) => {
        revision = rev;
        lastRefreshMs = Date.now();
      },
      (err: unknown) => log.warn({ err, key }, 'lease refresh failed'),
    );
  }, Math.max(100, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    held: () => Date.now() - lastRefreshMs < ttlMs,
    async release() {
      clearInterval(timer);
      await kv.delete(key, { previousSeq: revision }).catch((err: unknown) => log.warn({ err, key }, 'lease release failed; it will expire'));
    },
  };
}
