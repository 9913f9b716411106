// What a document store accepts from a fold, checked before anything is written: the database
// refuses a non-finite number (FerretDB) or stores it and poisons every later sum (MongoDB), and
// a field path with an empty, `$`-led or NUL-holding segment is an operator or an error. A fold
// that emits such an op has met an event it cannot store; the engine isolates that event.
import { stripEdgeSpace } from './json.ts';
import type { WriteOp } from './writes.ts';

/**
 * Largest magnitude a fold may write as an increment (values it sets need only be finite). Far below where a double
 * overflows (~1.8e308), so no number of batches can sum to Infinity; far above any real count,
 * sum or duration (ingest bounds a single value much lower, docs/ingest.md).
 */
export const MAX_WRITABLE_MAGNITUDE = 1e200;

// FerretDB v1 also refuses a segment with leading or trailing white space (json.ts, stripEdgeSpace).
const badSegment = (segment: string): boolean => segment === '' || segment.startsWith('$') || segment.includes('\u0000') || stripEdgeSpace(segment) !== segment;

function numberProblem(value: number, summed: boolean): string | undefined {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  if (summed && Math.abs(value) > MAX_WRITABLE_MAGNITUDE) return `${value} is too large to store (magnitude above ${MAX_WRITABLE_MAGNITUDE})`;
  return undefined;
}

function pathProblem(path: string): string | undefined {
  return path.split('.').some(badSegment) ? `field path ${JSON.stringify(path.slice(0, 200))} is not storable` : undefined;
}

/** Depth-first check of a value written under `path` (a `$set` of a nested object). */
function valueProblem(value: unknown, path: string, depth: number, summed = false): string | undefined {
  if (typeof value === 'number') {
    const p = numberProblem(value, summed);
    return p === undefined ? undefined : `${path}: ${p}`;
  }
  if (typeof value !== 'object' || value === null || depth > 100) return undefined;
  if (Array.isArray(value)) {
    // FerretDB v1 refuses arrays inside arrays (json.ts keeps such an item as JSON text).
    if (value.some((item) => Array.isArray(item))) return `${path}: an array inside an array is not storable`;
    for (const item of value) {
      const p = valueProblem(item, path, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    if (badSegment(key) || key.includes('.') || stripEdgeSpace(key) !== key) return `${path}: key ${JSON.stringify(key.slice(0, 200))} is not storable`;
    const p = valueProblem(child, `${path}.${key}`, depth + 1);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** `summed`: the values are increments, which must stay far from overflowing (MAX_WRITABLE_MAGNITUDE). */
function fieldsProblem(fields: Readonly<Record<string, unknown>> | undefined, summed = false): string | undefined {
  for (const [path, value] of Object.entries(fields ?? {})) {
    const p = pathProblem(path) ?? valueProblem(value, path, 0, summed);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Why the store could not write this op as it is, or undefined when it can. */
export function unwritableReason(op: WriteOp): string | undefined {
  if (op.kind !== 'upsert') return undefined;
  const p =
    fieldsProblem(op.set) ??
    fieldsProblem(op.inc, true) ??
    fieldsProblem(op.max) ??
    fieldsProblem(op.min) ??
    fieldsProblem(op.setOnInsert) ??
    op.unset?.map(pathProblem).find((x) => x !== undefined);
  return p === undefined ? undefined : `${op.collection}/${op.id}: ${p}`;
}

/** The first unwritable op's reason, or undefined when every op can be written. */
export function firstUnwritable(ops: readonly WriteOp[]): string | undefined {
  for (const op of ops) {
    const reason = unwritableReason(op);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
