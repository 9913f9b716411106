// Bounds on the numbers that processors add up (spec §2.9 steps 3 and 6, §2.10 operators).
// Countly stores whatever parses: `sum: 1.7976931348623157e308` twice overflows to Infinity, which
// MongoDB-wire servers refuse, and a negative count subtracts occurrences. The edge refuses values
// outside these bounds, so every total a processor keeps stays finite and close to exact.

/**
 * Largest `count` one event may carry. Processors add counts into day, month and year totals:
 * 2^53 / 1e9 ≈ 9 million maximal events in one bucket before a total stops being an exact integer.
 * SDKs send counts of 1 (or small batches), so 1e9 refuses nothing an SDK sends.
 */
export const MAX_EVENT_COUNT = 1e9;

/**
 * Largest |`sum`| or |`dur`| one event may carry (negative values are kept, as Countly keeps them).
 * A request holds at most `ingest.maxEventsPerRequest` events, so overflowing a double (1.8e308)
 * is out of reach, and ~9 000 maximal values fit in one bucket before totals lose integer
 * precision (2^53 ≈ 9e15). 1e12 still fits a purchase of a billion in a currency with no
 * subunit, or 31 000 years of duration in seconds.
 */
export const MAX_EVENT_AMOUNT = 1e12;

/** Largest |operand| of a `$inc` or `$mul` on a custom user property (same reasoning as sums). */
export const MAX_CUSTOM_OPERAND = 1e12;

/** The ways a client's number may be read downstream: as a whole (`Number`) and by prefix (`parseFloat`). */
function readings(value: number | string): number[] {
  const whole = typeof value === 'number' ? value : Number(value.trim());
  const prefix = Number.parseFloat(String(value));
  return [whole, prefix].filter((n) => !Number.isNaN(n));
}

/**
 * True when every reading of `value` lies in [min, max]. Both readings are checked because
 * processors read counts with parseInt (`"1e308"` → 1) and operands with Number (`"1e308"` → 1e308);
 * a value must be safe whichever way it is read later.
 */
export function withinBounds(value: number | string, min: number, max: number): boolean {
  return readings(value).every((n) => Number.isFinite(n) && n >= min && n <= max);
}
