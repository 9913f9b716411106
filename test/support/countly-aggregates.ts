// Expected aggregate counters as flat maps, keyed the way projection-docs.ts reads the stored
// documents: `<family>|<document>|<path>` → number, where <document> is the period `m`
// (`YYYY:M` or `YYYY:0`), prefixed for events by `<event key>|<segment>`. Paths follow spec §3.2.
import type { Calendar } from './countly-calendar.ts';

export class Aggregates {
  /** Counters summed over every stored document of the same family and period. */
  readonly counters = new Map<string, number>();
  /** `meta_v2` flags: `<family>|<document>|meta_v2.<set>.<value>`. */
  readonly flags = new Set<string>();

  inc(key: string, n = 1): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + n);
  }

  /** Month document: `d.<D>.<prop>`, and `d.<D>.<H>.<prop>` unless the property holds a dot (§3.2). */
  month(family: string, c: Calendar, prop: string, n = 1): void {
    const doc = `${family}|${c.year}:${c.month}`;
    this.inc(`${doc}|d.${c.day}.${prop}`, n);
    if (!prop.includes('.')) this.inc(`${doc}|d.${c.day}.${c.hour}.${prop}`, n);
  }

  /** Year document: `d.<prop>`, `d.<M>.<prop>`, and `d.w<W>.<prop>` for unique-like properties (§3.2). */
  zero(family: string, c: Calendar, prop: string, n = 1): void {
    const doc = `${family}|${c.year}:0`;
    this.inc(`${doc}|d.${prop}`, n);
    this.inc(`${doc}|d.${c.month}.${prop}`, n);
    const uniqueLike = prop === 'u' || prop.endsWith('.u') || prop.startsWith('f.') || prop.startsWith('ds.');
    if (uniqueLike) this.inc(`${doc}|d.w${c.week}.${prop}`, n);
  }

  /** One counter at an exact path of the month (`m: YYYY:M`) or year (`m: YYYY:0`) document. */
  at(family: string, period: string, path: string, n = 1): void {
    this.inc(`${family}|${period}|${path}`, n);
  }

  meta(family: string, year: number, set: string, value: string): void {
    this.flags.add(`${family}|${year}:0|meta_v2.${set}.${value}`);
  }
}

/** Unique levels of a returning user (§3.4), decided from its last session begin. */
export interface UniqueLevels {
  readonly hour: boolean;
  readonly day: boolean;
  readonly week: boolean;
  readonly month: boolean;
  readonly year: boolean;
}

/** Frequency bucket `f` from seconds since the last session begin (§3.5); null when negative. */
export function frequencyBucket(sinceS: number): string | null {
  if (sinceS < 0) return null;
  const hours = sinceS / 3600;
  const edges = [24, 48, 72, 96, 120, 144, 168, 192, 360];
  const i = edges.findIndex((edge) => hours < edge);
  return String(i === -1 ? 10 : i + 1);
}

/** Duration range `ds` of a closed session's seconds (§3.5). */
export function durationRange(seconds: number): string {
  const upper = [10, 30, 60, 180, 600, 1800, 3600];
  const i = upper.findIndex((edge) => seconds <= edge);
  return String(i === -1 ? 7 : i);
}

/** Event key as stored in `events_data` documents: `<event key>|<segment>`, segment `no-segment` for totals. */
export const eventFamily = (key: string, segment: string): string => `events_data|${key}|${segment}`;
