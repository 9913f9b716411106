// Maps keyed by what clients send. A plain `{}` inherits `constructor`, `toString`, ... from
// Object.prototype, so `map[key]` for such a key finds a function instead of nothing, and
// assigning `__proto__` replaces the prototype. Maps built from client keys use objects without
// a prototype, and lookups in objects that came from elsewhere (the database, static tables) go
// through `own`.

/** An empty map without a prototype: every key, `constructor` and `__proto__` included, is plain data. */
export function dict<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** A prototype-free copy of `base`. */
export function dictFrom<V>(base: Readonly<Record<string, V>> | undefined): Record<string, V> {
  return Object.assign(dict<V>(), base);
}

/** `rec[key]` when `rec` has `key` as its own property; undefined otherwise (never an inherited member). */
export function own<V>(rec: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return rec !== undefined && Object.hasOwn(rec, key) ? rec[key] : undefined;
}
