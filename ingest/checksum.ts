// Checksums for apps with a salt (spec §2.13): SHA-1 (`checksum`) or SHA-256 (`checksum256`) over
// the raw query string or the raw body, with the checksum pair itself removed, plus the salt.
import { createHash } from 'node:crypto';

export type ChecksumVerdict = 'ok' | 'missing' | 'mismatch';

export interface ChecksumInput {
  /** Query string as received, still URL-encoded, without `?`. */
  readonly rawQuery: string;
  /** Raw body (POST only; multipart as `k=v&...`); empty for GET. */
  readonly rawBody: string;
  /** The merged `checksum` / `checksum256` parameters. */
  readonly checksum: unknown;
  readonly checksum256: unknown;
  readonly salt: string;
}

/** Countly removes the first `&name=value`, then the first `name=value`, as plain text. */
function withoutPair(payload: string, name: string, value: string): string {
  return payload.replace(`&${name}=${value}`, '').replace(`${name}=${value}`, '');
}

function digestUpper(algorithm: 'sha1' | 'sha256', text: string): string {
  return createHash(algorithm).update(text).digest('hex').toUpperCase();
}

function matches(input: ChecksumInput, name: 'checksum' | 'checksum256', value: string): boolean {
  const algorithm = name === 'checksum' ? 'sha1' : 'sha256';
  const expected = value.toUpperCase();
  const candidates = input.rawBody === '' ? [input.rawQuery] : [input.rawQuery, input.rawBody];
  return candidates.some((payload) => digestUpper(algorithm, withoutPair(payload, name, value) + input.salt) === expected);
}

const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Verifies a request for a salted app. `checksum` wins over `checksum256` when both are sent. */
export function verifyChecksum(input: ChecksumInput): ChecksumVerdict {
  const sha1 = textOf(input.checksum);
  if (sha1 !== undefined) return matches(input, 'checksum', sha1) ? 'ok' : 'mismatch';
  const sha256 = textOf(input.checksum256);
  if (sha256 !== undefined) return matches(input, 'checksum256', sha256) ? 'ok' : 'mismatch';
  return 'missing';
}

/** The Countly answer for a failed check (200, spec §2.3). */
export const CHECKSUM_MESSAGES: Readonly<Record<Exclude<ChecksumVerdict, 'ok'>, string>> = {
  missing: 'Request does not have checksum',
  mismatch: 'Request does not match checksum',
};
