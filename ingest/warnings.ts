// What ingest dropped or rewrote in an accepted request, and why. Countly drops partly malformed
// input silently (spec §2.3); Tally keeps the valid part, answers 200 (SDKs retry anything else)
// and names every drop in the answer's `warnings` array. The shape is documented in docs/ingest.md.

/** Stable reason codes: clients and dashboards may branch on them, so they never change meaning. */
export const WARNING_REASONS = [
  'invalid_json',
  'wrong_type',
  'invalid_number',
  'number_out_of_range',
  'invalid_ip_address',
  'unsafe_param_name',
  'unsafe_key',
  'key_rewritten',
  'key_empty',
  'key_collision',
  'too_deep',
  'event_not_object',
  'event_key_invalid',
  'event_key_too_long',
  'segment_limit',
  'segment_value_empty',
  'segment_value_object',
  'array_truncated',
  'unknown_operator',
  'body_ignored',
  'file_ignored',
  'bulk_item_not_object',
  'bulk_item_missing_identity',
  'bulk_item_zero_idfa',
  'bulk_item_app_does_not_exist',
  'bulk_item_app_paused',
  'bulk_item_app_locked',
  'bulk_item_checksum_missing',
  'bulk_item_checksum_mismatch',
  'bulk_item_too_many_events',
  'bulk_item_too_large',
] as const;

export type WarningReason = (typeof WARNING_REASONS)[number];

/** One entry of the answer's `warnings` array. */
export interface IngestWarning {
  /** Where in the request: `events[3].segmentation.$x`, `metrics`, `requests[2]`. */
  readonly param: string;
  readonly reason: WarningReason;
  /** Human-readable detail; wording may change, branch on `reason`. */
  readonly message: string;
}

/** Most warnings echoed in one answer; the rest are summarised (all are counted and logged). */
export const MAX_WARNINGS_IN_ANSWER = 50;

/** Longest key echoed inside a `param` path; longer keys are cut with `…`. */
const MAX_KEY_IN_PATH = 64;

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/** Appends a key or index to a parameter path, quoting keys that are not plain identifiers. */
export function paramPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const shown = key.length > MAX_KEY_IN_PATH ? `${key.slice(0, MAX_KEY_IN_PATH)}…` : key;
  if (PLAIN_KEY.test(shown)) return parent === '' ? shown : `${parent}.${shown}`;
  return `${parent}[${JSON.stringify(shown)}]`;
}

/** Collects the warnings of one request (or of one whole bulk). */
export class WarningList {
  readonly items: IngestWarning[] = [];

  add(param: string, reason: WarningReason, message: string): void {
    this.items.push({ param, reason, message });
  }

  get length(): number {
    return this.items.length;
  }

  /** The entries for the answer: at most MAX_WARNINGS_IN_ANSWER, then one summary entry. */
  forAnswer(): readonly Record<string, string>[] {
    const shown: Record<string, string>[] = this.items.slice(0, MAX_WARNINGS_IN_ANSWER).map((w) => ({ ...w }));
    const more = this.items.length - shown.length;
    if (more > 0) shown.push({ param: '*', reason: 'warnings_truncated', message: `${more} more warnings not shown` });
    return shown;
  }
}
