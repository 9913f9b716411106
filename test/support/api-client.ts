// A small client for the read and management API: GET with query parameters (objects are
// JSON-encoded), answers parsed as JSON.
import { adminApiKey, createApp } from './harness.ts';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** GET `path` with `params` (strings as given, anything else JSON-encoded). */
export async function apiGet(
  baseUrl: string,
  path: string,
  params: Readonly<Record<string, unknown>> = {},
  headers: Readonly<Record<string, string>> = {},
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // Decision: a non-JSON answer (JSONP, plain text) is returned as text.
    if (!(err instanceof SyntaxError)) throw err;
  }
  return { status: res.status, body, text };
}

export interface Member {
  readonly _id: string;
  readonly api_key: string;
  readonly username: string;
}

/** Creates a member through `/i/users/create` as the admin. */
export async function createMemberViaApi(baseUrl: string, adminKey: string, args: Readonly<Record<string, unknown>>): Promise<Member> {
  const res = await apiGet(baseUrl, '/i/users/create', { api_key: adminKey, args: { full_name: 'Member', password: 'Memb3r#pass', ...args } });
  const body = res.body;
  if (res.status !== 200 || typeof body !== 'object' || body === null || !('_id' in body) || !('api_key' in body) || !('username' in body)) {
    throw new Error(`users/create answered ${res.status}: ${res.text}`);
  }
  return { _id: String(body._id), api_key: String(body.api_key), username: String(body.username) };
}

/** The admin's key and a new app created through the API. */
export async function adminAndApp(
  baseUrl: string,
  args: Readonly<Record<string, unknown>> = {},
): Promise<{ adminKey: string; app: { _id: string; key: string; timezone: string } }> {
  const adminKey = await adminApiKey(baseUrl);
  const app = await createApp(baseUrl, adminKey, { name: `App ${Math.random().toString(36).slice(2, 8)}`, ...args });
  return { adminKey, app };
}

/** `result` of a message-writer answer. */
export function resultOf(answer: Answer): unknown {
  const b = answer.body;
  return typeof b === 'object' && b !== null && 'result' in b ? b.result : undefined;
}

/** The value at a path of keys (array indexes as numbers or strings), or undefined. */
export function at(node: unknown, ...path: (string | number)[]): unknown {
  let current = node;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Object.getOwnPropertyDescriptor(current, String(key))?.value;
  }
  return current;
}

/** Own keys of an object, [] for anything else. */
export const keysOf = (value: unknown): string[] => (typeof value === 'object' && value !== null ? Object.keys(value) : []);
