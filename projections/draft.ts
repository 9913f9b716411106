// Copy-on-write map used inside a fold call: the input record is copied once, values are
// immutable and replaced whole, so the caller's state is never mutated.
import { dictFrom, own } from './dict.ts';

export class RecordDraft<V> {
  private readonly out: Record<string, V>;

  constructor(base: Readonly<Record<string, V>>) {
    this.out = dictFrom(base);
  }

  get(key: string): V | undefined {
    return own(this.out, key);
  }

  set(key: string, value: V): void {
    this.out[key] = value;
  }

  /** Removes every entry whose key and value match. */
  dropWhere(match: (key: string, value: V) => boolean): void {
    for (const [key, value] of Object.entries(this.out)) if (match(key, value)) delete this.out[key];
  }

  result(): Readonly<Record<string, V>> {
    return this.out;
  }
}

/**
 * Copy-on-write map of records: each inner record is copied on its first write in this draft and
 * then written in place, so adding n entries costs O(n), not a copy of the record per entry.
 */
export class NestedRecordDraft<V> {
  private readonly out: Record<string, Readonly<Record<string, V>>>;
  private readonly owned = new Map<string, Record<string, V>>();

  constructor(base: Readonly<Record<string, Readonly<Record<string, V>>>>) {
    this.out = dictFrom(base);
  }

  setIn(key: string, path: string, value: V): void {
    let inner = this.owned.get(key);
    if (inner === undefined) {
      inner = dictFrom(own(this.out, key));
      this.out[key] = inner;
      this.owned.set(key, inner);
    }
    inner[path] = value;
  }

  /** Removes every record whose key matches. */
  dropWhere(match: (key: string) => boolean): void {
    for (const key of Object.keys(this.out)) {
      if (!match(key)) continue;
      delete this.out[key];
      this.owned.delete(key);
    }
  }

  result(): Readonly<Record<string, Readonly<Record<string, V>>>> {
    return this.out;
  }
}
