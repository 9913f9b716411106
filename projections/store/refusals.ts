// Writes the database refuses for what they write. Folds check their writes before anything is
// written (writable.ts), so a refusal here is a kind that check does not know yet. It must not
// stop the group for good: a claimed batch is replayed from its journal as it is, and would be
// refused again at every retry. So the refused document's update is set aside, reported, and
// the rest of the batch is applied.
import { MongoBulkWriteError, type WriteError } from 'mongodb';
import type { UpsertOp } from '../writes.ts';

/**
 * Server error codes of a write refused for its content, never for the state of the servers:
 * BadValue, NoSuchKey, FailedToParse, TypeMismatch, Overflow, InvalidLength, InvalidBSON,
 * PathNotViable, InvalidPath, ConflictingUpdateOperators, DollarPrefixedFieldName,
 * InvalidIdField, NotSingleValueField, InvalidDBRef, EmptyFieldName, DottedFieldName,
 * ImmutableField, BSONObjectTooLarge, KeyTooLong, and "document too large". FerretDB v1 answers
 * its own refusals (nested arrays, infinity, duplicate keys, `$` keys) with BadValue.
 */
const CONTENT_REFUSAL_CODES: ReadonlySet<number> = new Set([2, 4, 9, 14, 15, 16, 22, 28, 30, 40, 52, 53, 54, 55, 56, 57, 66, 10334, 17280, 17419]);

/** A document update the database refused for its content. */
export interface RefusedWrite {
  readonly collection: string;
  readonly id: string;
  readonly reason: string;
  /** The update as the batch computed it (every event of the batch that touched the document), to apply by hand once the cause is fixed. */
  readonly op: UpsertOp;
}

const isContentCode = (code: unknown): boolean => typeof code === 'number' && CONTENT_REFUSAL_CODES.has(code);

/** The database's reason when `err` refused writes of documents for their content only; undefined for anything else. */
export function contentRefusal(err: unknown): string | undefined {
  if (err instanceof MongoBulkWriteError) {
    const list: WriteError[] = [];
    for (let i = 0; i < err.result.getWriteErrorCount(); i++) {
      const w = err.result.getWriteErrorAt(i);
      if (w !== undefined) list.push(w);
    }
    const first = list[0];
    if (first === undefined || !list.every((w) => isContentCode(w.code))) return undefined;
    return `${first.code}: ${first.errmsg ?? err.message}`;
  }
  // Only per-document write errors are refusals of content: a command-level error (even BadValue,
  // e.g. an option the server does not support) says nothing about one document.
  return undefined;
}
