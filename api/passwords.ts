import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

// scrypt parameters: N=2^15, r=8, p=1 (~32 MiB, tens of ms): OWASP's minimum for scrypt.
const N = 32_768;
const R = 8;
const P = 1;
const KEY_BYTES = 64;
const MAX_MEM_BYTES = 64 * 1024 * 1024;

function scryptAsync(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) => scrypt(password, salt, keylen, options, (err, key) => (err ? rej(err) : res(key))));
}

/** Hashes a password as `scrypt$N$r$p$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_BYTES, { N, r: R, p: P, maxmem: MAX_MEM_BYTES });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, saltB64, hashB64] = stored.split('$');
  if (kind !== 'scrypt' || n === undefined || r === undefined || p === undefined || saltB64 === undefined || hashB64 === undefined) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const key = await scryptAsync(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEM_BYTES });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A precomputed hash of a random password, verified against when the user does not exist, so timing matches. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}

/** Member API key: 32 lowercase hex characters (spec §4.1). */
export const newApiKey = (): string => randomBytes(16).toString('hex');

/** Countly's password policy (spec §5.1): ≥ 8 chars, a capital letter, a digit, a symbol. Returns the failures. */
export function passwordPolicyErrors(password: string): string[] {
  const errors: string[] = [];
  if (password.length < 8) errors.push('Password must be at least 8 characters long');
  if (!/[0-9]/.test(password)) errors.push('password should have number');
  if (!/[A-Z]/.test(password)) errors.push('password should have upchar');
  if (!/[^A-Za-z0-9]/.test(password)) errors.push('password should have special character');
  return errors;
}
