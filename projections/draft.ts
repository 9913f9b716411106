// Copy-on-write map used inside a fold call: the input record is copied once, values are
// immutable and replaced whole, so the caller's state is never mutated.

export class RecordDraft<V> {
  private readonly out: Record<string, V>;

  constructor(base: Readonly<Record<string, V>>) {
    this.out = { ...base };
  }

  get(key: string): V | undefined {
    return this.out[key];
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
