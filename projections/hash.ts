// MD5 and SHA-1 in plain TypeScript. Folds may not import node:crypto (STYLE.md §1), yet Countly
// derives ids and shards from these digests: sha1(app_key + device_id) is the app-user _id,
// sha1(event_key + app_id) the event id, base64(md5(x))[0] the shard char. Inputs are UTF-8
// encoded like Node's `hash.update(string)`. The unit test checks both against node:crypto.

const encoder = new TextEncoder();

const MD5_SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** floor(|sin(i + 1)| * 2^32), the MD5 round constants (RFC 1321). */
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** Message padded to whole 64-byte blocks with the bit length appended (little or big endian). */
function pad(input: string, littleEndian: boolean): DataView {
  const msg = encoder.encode(input);
  const total = Math.ceil((msg.length + 9) / 64) * 64;
  const buf = new Uint8Array(total);
  buf.set(msg);
  buf[msg.length] = 0x80;
  const view = new DataView(buf.buffer);
  const bits = msg.length * 8;
  const low = bits >>> 0;
  const high = Math.floor(bits / 2 ** 32);
  if (littleEndian) {
    view.setUint32(total - 8, low, true);
    view.setUint32(total - 4, high, true);
  } else {
    view.setUint32(total - 8, high, false);
    view.setUint32(total - 4, low, false);
  }
  return view;
}

/** MD5 digest (16 bytes) of the UTF-8 encoding of `input`. */
export function md5(input: string): Uint8Array {
  const view = pad(input, true);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let off = 0; off < view.byteLength; off += 64) {
    let [a, b, c, d] = [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0];
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) [f, g] = [(b & c) | (~b & d), i];
      else if (i < 32) [f, g] = [(d & b) | (~d & c), (5 * i + 1) % 16];
      else if (i < 48) [f, g] = [b ^ c ^ d, (3 * i + 5) % 16];
      else [f, g] = [c ^ (b | ~d), (7 * i) % 16];
      const sum = (a + f + (MD5_K[i] ?? 0) + view.getUint32(off + g * 4, true)) | 0;
      [a, d, c] = [d, c, b];
      b = (b + rotl(sum, MD5_SHIFTS[(i >> 4) * 4 + (i % 4)] ?? 0)) | 0;
    }
    h[0] = ((h[0] ?? 0) + a) | 0;
    h[1] = ((h[1] ?? 0) + b) | 0;
    h[2] = ((h[2] ?? 0) + c) | 0;
    h[3] = ((h[3] ?? 0) + d) | 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  h.forEach((word, i) => out.setUint32(i * 4, word >>> 0, true));
  return new Uint8Array(out.buffer);
}

/** SHA-1 digest as 40 lowercase hex characters of the UTF-8 encoding of `input`. */
export function sha1Hex(input: string): string {
  const view = pad(input, false);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Int32Array(80);
  for (let off = 0; off < view.byteLength; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(off + t * 4, false);
    for (let t = 16; t < 80; t++) w[t] = rotl((w[t - 3] ?? 0) ^ (w[t - 8] ?? 0) ^ (w[t - 14] ?? 0) ^ (w[t - 16] ?? 0), 1);
    let [a, b, c, d, e] = [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) [f, k] = [(b & c) | (~b & d), 0x5a827999];
      else if (t < 40) [f, k] = [b ^ c ^ d, 0x6ed9eba1];
      else if (t < 60) [f, k] = [(b & c) | (b & d) | (c & d), 0x8f1bbcdc];
      else [f, k] = [b ^ c ^ d, 0xca62c1d6];
      const temp = (rotl(a, 5) + f + e + k + (w[t] ?? 0)) | 0;
      [e, d, c, b, a] = [d, c, rotl(b, 30), a, temp];
    }
    [a, b, c, d, e].forEach((v, i) => (h[i] = ((h[i] ?? 0) + v) | 0));
  }
  return h.map((word) => (word >>> 0).toString(16).padStart(8, '0')).join('');
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Most entries a hash memo keeps before it starts over (bounds memory, not correctness). */
const MEMO_MAX_ENTRIES = 50_000;

/** Memoises a pure string function: the same values (devices, segment values, keys) recur a lot. */
function memoized<T>(f: (input: string) => T): (input: string) => T {
  const cache = new Map<string, T>();
  return (input) => {
    const hit = cache.get(input);
    if (hit !== undefined) return hit;
    const value = f(input);
    if (cache.size >= MEMO_MAX_ENTRIES) cache.clear();
    cache.set(input, value);
    return value;
  };
}

/** First character of base64(md5(input)): Countly's shard char (64 possible values), §3.1. */
export const md5Base64FirstChar: (input: string) => string = memoized((input) => BASE64.charAt((md5(input)[0] ?? 0) >> 2));

/** Number of value shards for metric and segment documents (see aggregate-doc.ts for sizes). */
export const VALUE_SHARDS = 32;

/** Shard (0..VALUE_SHARDS-1) of a metric or segment value: the top 5 bits of md5(value). */
export const valueShard: (value: string) => number = memoized((value) => (md5(value)[0] ?? 0) >> 3);

/** App-user `_id` (§2.4): sha1 hex of app_key + device_id. */
export function appUserId(appKey: string, deviceId: string): string {
  return sha1Hex(appKey + deviceId);
}

/** Storage id of an event key (§2.9 step 5): sha1 hex of cleaned key + app id. */
export function eventHash(cleanedKey: string, appId: string): string {
  return memoizedSha1(cleanedKey + appId);
}

const memoizedSha1 = memoized(sha1Hex);
