// Given/when/then helpers for the projection unit tests: build envelopes, fold them.
import type { AppDataReset, SdkRequestReceived } from './events.ts';
import { md5Base64FirstChar } from './hash.ts';

export const APP = '0123456789abcdef01234567';
export const APP_KEY = 'app-key-1';

let counter = 0;

export interface RequestOptions {
  readonly device?: string;
  readonly tz?: string;
  readonly appId?: string;
  readonly seq?: number;
}

/** An SdkRequestReceived received at `at` (ISO) with the given parameters. */
export function request(at: string, params: Record<string, unknown>, opts: RequestOptions = {}): SdkRequestReceived & { seq: number } {
  counter += 1;
  return {
    v: 1,
    type: 'SdkRequestReceived',
    id: `req-${counter}`,
    requestId: `r-${counter}`,
    appId: opts.appId ?? APP,
    appKey: APP_KEY,
    appTimezone: opts.tz ?? 'UTC',
    deviceId: opts.device ?? 'dev-1',
    receivedAtMs: Date.parse(at),
    ip: '127.0.0.1',
    params,
    seq: opts.seq ?? counter,
  };
}

export function reset(period: AppDataReset['period'], at: string, appId = APP): AppDataReset & { seq: number } {
  counter += 1;
  return { v: 1, type: 'AppDataReset', id: `reset-${counter}`, appId, period, atMs: Date.parse(at), partition: 0, seq: counter };
}

/** Two device ids whose Countly users shard differs / matches the first one's. */
export function devicesByShard(): { readonly same: readonly [string, string]; readonly other: string } {
  const first = 'device-0';
  const shard = md5Base64FirstChar(first);
  let same: string | undefined;
  let other: string | undefined;
  for (let i = 1; same === undefined || other === undefined; i++) {
    const id = `device-${i}`;
    if (md5Base64FirstChar(id) === shard) same ??= id;
    else other ??= id;
  }
  return { same: [first, same], other };
}

/** Recursively freezes a value so any mutation by a fold throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
