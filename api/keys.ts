/** Finds the first key, at any depth, that starts with `$` or contains a dot; such keys never reach MongoDB. */
export function findUnsafeKey(value: unknown, depth = 0): string | undefined {
  if (depth > 32) return '(nesting deeper than 32 levels)';
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = findUnsafeKey(v, depth + 1);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$') || k.includes('.') || k.includes('\0')) return k;
    const bad = findUnsafeKey(v, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** Parses a parameter that may arrive as a JSON string or as an object (spec §1.2). */
export function jsonParam(value: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : 'invalid JSON' };
  }
}
