// A raw HTTP client for /i and /i/bulk: every transport the Countly protocol allows (spec §1.2).
import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { insertApp, type AppRecord } from '../../projections/index.ts';
import { appChangedSubject } from '../../streams.config.ts';
import type { Role } from '../../scripts/runtime.ts';
import type { TestTally } from './harness.ts';

/** Ingest tests run Tally with the ingest role only: the API and processors are not involved. */
export const INGEST_ROLE: readonly Role[] = ['ingest'];

export interface SendOptions {
  readonly method?: string;
  readonly path?: string;
  /** Query parameters (values as given; objects are JSON-encoded). */
  readonly query?: Readonly<Record<string, unknown>>;
  /** Form body (application/x-www-form-urlencoded). */
  readonly form?: Readonly<Record<string, unknown>>;
  /** JSON body. */
  readonly json?: unknown;
  /** Raw body with its content type. */
  readonly body?: string | FormData | Uint8Array;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly body: Record<string, unknown> | undefined;
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function encodeParams(params: Readonly<Record<string, unknown>>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) sp.append(k, asText(v));
  return sp.toString();
}

function bodyOf(opts: SendOptions): { body?: string | FormData | Uint8Array; contentType?: string } {
  if (opts.form !== undefined) return { body: encodeParams(opts.form), contentType: 'application/x-www-form-urlencoded' };
  if (opts.json !== undefined) return { body: JSON.stringify(opts.json), contentType: 'application/json' };
  return { body: opts.body, contentType: opts.contentType };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : undefined;
  } catch (err) {
    // Decision: a body that is not JSON (405 from Node, JSONP) is reported as undefined.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Sends one request to Tally and reads the whole answer. */
export async function send(baseUrl: string, opts: SendOptions = {}): Promise<Sent> {
  const query = opts.query === undefined ? '' : `?${encodeParams(opts.query)}`;
  const { body, contentType } = bodyOf(opts);
  const headers: Record<string, string> = { ...opts.headers };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const method = opts.method ?? (body === undefined ? 'GET' : 'POST');
  const res = await fetch(`${baseUrl}${opts.path ?? '/i'}${query}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: parseJson(text) };
}

export interface TestApp {
  readonly _id: string;
  readonly key: string;
  readonly timezone: string;
}

export interface NewAppOptions {
  readonly key?: string;
  readonly timezone?: string;
  readonly country?: string;
  readonly type?: string;
  readonly salt?: string;
  readonly paused?: boolean;
  readonly locked?: boolean;
}

/**
 * Stores an app and announces it on the app-changed subject, as the management API does after
 * every app change. (Going through the store keeps ingest tests independent of the API routes.)
 */
export async function newApp(tally: TestTally, opts: NewAppOptions = {}): Promise<TestApp> {
  const nowS = Math.floor(Date.now() / 1000);
  const app: AppRecord = {
    _id: new ObjectId(),
    name: `App ${randomBytes(3).toString('hex')}`,
    key: opts.key ?? randomBytes(20).toString('hex'),
    country: opts.country ?? 'TR',
    timezone: opts.timezone ?? 'Europe/Istanbul',
    category: '6',
    type: opts.type ?? 'mobile',
    created_at: nowS,
    edited_at: nowS,
    owner: 'ingest-tests',
    seq: 0,
    has_image: false,
    ...(opts.salt === undefined ? {} : { salt: opts.salt }),
    ...(opts.paused === undefined ? {} : { paused: opts.paused }),
    ...(opts.locked === undefined ? {} : { locked: opts.locked }),
  };
  await insertApp(tally.db, app);
  tally.nc.publish(appChangedSubject(tally.config.streams), app._id.toHexString());
  // Our own subscription sees the announcement before the flush's PONG returns.
  await tally.nc.flush();
  return { _id: app._id.toHexString(), key: app.key, timezone: app.timezone };
}

/** Reason codes of the answer's warnings. */
export function warningReasons(sent: Sent): string[] {
  const w = sent.body?.warnings;
  return Array.isArray(w) ? w.map((x: unknown) => (typeof x === 'object' && x !== null && 'reason' in x ? String(x.reason) : '?')) : [];
}
