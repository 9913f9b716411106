// What an AppDataReset removes (§5.2 reset/clear). The folds drop pending state with these
// rules; the store applies the same rules to stored documents (export them from index.ts).
import type { AppDataReset } from './events.ts';

/** First kept calendar month (UTC) of a partial clear; older periods are removed. */
export interface ResetCutoff {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
}

const KEEP_MONTHS: Readonly<Record<string, number>> = { '1month': 1, '3month': 3, '6month': 6, '1year': 12, '2year': 24 };

/**
 * null when the reset wipes all data of the app (`reset`, `all`, `delete`); otherwise the
 * first month kept: the UTC calendar month `N` months before `atMs`.
 */
export function resetCutoff(reset: Pick<AppDataReset, 'period' | 'atMs'>): ResetCutoff | null {
  const months = KEEP_MONTHS[reset.period];
  if (months === undefined) return null;
  const at = new Date(reset.atMs);
  const index = at.getUTCFullYear() * 12 + at.getUTCMonth() - months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** Whether an aggregate period (`YYYY:M` or `YYYY:0`) lies entirely before the cutoff. */
export function periodBefore(period: string, cutoff: ResetCutoff): boolean {
  const [yearText, monthText] = period.split(':');
  const year = Number(yearText);
  const month = Number(monthText);
  if (year !== cutoff.year) return year < cutoff.year;
  return month !== 0 && month < cutoff.month;
}
