// First writes as inserts. A rebuild folds into a version whose collections start empty, so the
// first write of each document can be an insert of the document the upsert would have created.
// On FerretDB's SQLite backend an insert of 500 documents costs about what 40 upserts do (each
// upsert looks its document up first); on MongoDB it saves the lookup too.
//
// Correctness never depends on the tracker: a document it wrongly calls new makes the insert
// fail with a duplicate key, the batch fails, and its recovery re-applies the journal with
// upserts and the watermark check (docs/exactly-once.md). After any failed write the tracker
// calls nothing new any more.
import type { Document } from 'mongodb';
import type { UpsertOp } from '../writes.ts';

/** Ids one tracker remembers at most; past that it stops calling documents new (memory bound). */
export const FIRST_WRITES_MAX_IDS = 2_000_000;

/** Which documents a writer knows to be absent, so that their first write can be an insert. */
export class FirstWrites {
  private readonly written = new Set<string>();
  private certain = true;

  /** True when the document certainly does not exist yet. */
  isNew(collection: string, id: string): boolean {
    return this.certain && !this.written.has(`${collection}\u0000${id}`);
  }

  /** Records documents that exist now. */
  wrote(collection: string, ids: readonly string[]): void {
    for (const id of ids) this.written.add(`${collection}\u0000${id}`);
    if (this.written.size > FIRST_WRITES_MAX_IDS) this.forget();
  }

  /** After a failed write, or past the memory bound, nothing is certain any more: upserts only. */
  forget(): void {
    this.certain = false;
    this.written.clear();
  }
}

function isDocument(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets a dotted path in a plain document, creating objects on the way (as `$set` on a missing path does). */
function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop() ?? path;
  let node = doc;
  for (const part of parts) {
    const next: unknown = node[part];
    if (isDocument(next)) node = next;
    else {
      const created: Document = {};
      node[part] = created;
      node = created;
    }
  }
  node[last] = value;
}

/**
 * The document an upsert of `op` creates when none exists: `$set`, `$setOnInsert`, `$inc`,
 * `$max` and `$min` values at their paths (each operator on a missing field sets it), `$unset`
 * paths left out, and the given store fields (watermark, owner).
 */
export function insertedDocument(op: UpsertOp, storeFields: Readonly<Record<string, unknown>>): Document {
  const doc: Document = { _id: op.id };
  for (const fields of [op.set, op.setOnInsert, op.inc, op.max, op.min, storeFields]) {
    for (const [path, value] of Object.entries(fields ?? {})) setPath(doc, path, value);
  }
  return doc;
}
