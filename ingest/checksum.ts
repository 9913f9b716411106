// Checksums for apps with a salt (spec §2.13): SHA-1 (`checksum`) or SHA-256 (`checksum256`) over
// the raw query string or the raw body, with the checksum pair itself removed, plus the salt.
// Tighter than Countly: the payload that matches must also carry every parameter the request
// uses. Countly accepts a match on either payload and then uses query and body merged, so a
// signed body could travel with forged query parameters (and the signature of an empty query,
// SHA(salt), vouched for any body).
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export type ChecksumVerdict = 'ok' | 'missing' | 'mismatch';

export interface ChecksumInput {
  /** Query string as received, still URL-encoded, without `?`. */
  readonly rawQuery: string;
  /** Raw body (POST only; multipart as `k=v&...`); empty for GET. */
  readonly rawBody: string;
  /** Parameters parsed from the query string, and from the body. */
  readonly queryParams: Readonly<Record<string, unknown>>;
  readonly bodyParams: Readonly<Record<string, unknown>>;
  /** The merged parameters the request will use, `checksum` / `checksum256` among them. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly salt: string;
}

const CHECKSUM_PARAMS: ReadonlySet<string> = new Set(['checksum', 'checksum256']);

/** Countly removes the first `&name=value`, then the first `name=value`, as plain text. */
function withoutPair(payload: string, name: string, value: string): string {
  return payload.replace(`&${name}=${value}`, '').replace(`${name}=${value}`, '');
}

function digestUpper(algorithm: 'sha1' | 'sha256', text: string): string {
  return createHash(algorithm).update(text).digest('hex').toUpperCase();
}

/** True when every used parameter (except the checksum itself) is the signed part's own value. */
function covers(signed: Readonly<Record<string, unknown>>, used: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(used).every(([k, v]) => CHECKSUM_PARAMS.has(k) || (Object.hasOwn(signed, k) && signed[k] === v));
}

function matches(input: ChecksumInput, name: 'checksum' | 'checksum256', value: string): boolean {
  const algorithm = name === 'checksum' ? 'sha1' : 'sha256';
  const expected = value.toUpperCase();
  const query = { raw: input.rawQuery, params: input.queryParams };
  const candidates = input.rawBody === '' ? [query] : [query, { raw: input.rawBody, params: input.bodyParams }];
  return candidates.some((c) => digestUpper(algorithm, withoutPair(c.raw, name, value) + input.salt) === expected && covers(c.params, input.params));
}

const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * Verifies a request for a salted app. `checksum` wins over `checksum256` when both are sent. A
 * payload that matches but leaves out a parameter the request uses is a mismatch.
 */
export function verifyChecksum(input: ChecksumInput): ChecksumVerdict {
  const sha1 = textOf(input.params.checksum);
  if (sha1 !== undefined) return matches(input, 'checksum', sha1) ? 'ok' : 'mismatch';
  const sha256 = textOf(input.params.checksum256);
  if (sha256 !== undefined) return matches(input, 'checksum256', sha256) ? 'ok' : 'mismatch';
  return 'missing';
}

const ownEntries = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : {};

/** The checksum input of a request whose merged parameters are `params` (see `requestParams`). */
export function checksumInput(request: FastifyRequest, params: Readonly<Record<string, unknown>>, salt: string): ChecksumInput {
  return { rawQuery: request.rawQuery, rawBody: request.rawBody, queryParams: ownEntries(request.query), bodyParams: ownEntries(request.body), params, salt };
}

/** The Countly answer for a failed check (200, spec §2.3). */
export const CHECKSUM_MESSAGES: Readonly<Record<Exclude<ChecksumVerdict, 'ok'>, string>> = {
  missing: 'Request does not have checksum',
  mismatch: 'Request does not match checksum',
};
