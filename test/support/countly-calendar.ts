// Calendar, hashing and id helpers for the reference model (countly-model.ts), written from the
// spec (§2.4, §2.5, §3.1) with Intl and node:crypto only, so they share no code with Tally's folds.
import { createHash } from 'node:crypto';

/** Calendar fields of one instant in an app timezone (spec §2.5). */
export interface Calendar {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  /** ceil(day of year / 7), not ISO weeks. */
  readonly week: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric' });
    formats.set(timeZone, f);
  }
  return f;
}

export function calendar(ms: number, timeZone: string): Calendar {
  const parts = Object.fromEntries(
    format(timeZone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
  );
  const year = parts.year ?? 0;
  const month = parts.month ?? 0;
  const day = parts.day ?? 0;
  const dayOfYear = (Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / 86_400_000 + 1;
  return { year, month, day, hour: parts.hour ?? 0, week: Math.ceil(dayOfYear / 7) };
}

/** Start of the local hour, day, month or year containing `ms`, as unix seconds (found by stepping back whole minutes). */
export function startOf(unit: 'hour' | 'day' | 'month' | 'year', ms: number, timeZone: string): number {
  const c = calendar(ms, timeZone);
  const same = (t: number): boolean => {
    const x = calendar(t, timeZone);
    if (unit === 'year') return x.year === c.year;
    if (unit === 'month') return x.year === c.year && x.month === c.month;
    if (unit === 'day') return x.year === c.year && x.month === c.month && x.day === c.day;
    return x.year === c.year && x.month === c.month && x.day === c.day && x.hour === c.hour;
  };
  // Steps of a day, an hour, then a minute: every zone offset in use is a whole number of minutes.
  let t = Math.floor(ms / 60_000) * 60_000;
  while (same(t - 86_400_000)) t -= 86_400_000;
  while (same(t - 3_600_000)) t -= 3_600_000;
  while (same(t - 60_000)) t -= 60_000;
  return t / 1000;
}

/** Unix seconds of a wall-clock time in a zone with a fixed offset of `offsetMinutes` east of UTC. */
export const wallClockS = (offsetMinutes: number, y: number, mo: number, d: number, h: number, mi: number, s = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - offsetMinutes * 60;

export const sha1Hex = (text: string): string => createHash('sha1').update(text).digest('hex');

/** Countly's shard char of a device or value: first char of base64(md5(x)) (§3.1). */
export const md5Shard = (text: string): string => createHash('md5').update(text).digest('base64').charAt(0);

const BASE62 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** App-user `uid`: a sequence number in base 62 (§2.4). */
export function base62(n: number): string {
  let out = '';
  let rest = n;
  do {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out;
}
