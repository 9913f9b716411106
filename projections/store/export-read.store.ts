// The cursor of `/o/export/db` (spec §8): a filter, projection and sort that the API's query
// guard has checked, read in batches so the export streams instead of loading every document.
import type { Db, Document, FindCursor, Sort } from 'mongodb';

export interface ExportCursorOptions {
  readonly projection?: Document;
  readonly sort?: Sort;
  readonly skip: number;
  readonly limit: number;
  /** Documents per round trip; the cursor holds at most one batch. */
  readonly batchSize: number;
}

/** A cursor over `collection`; the caller iterates it and closes it (a `for await` that stops early does). */
export function openExportCursor(db: Db, collection: string, filter: Document, opts: ExportCursorOptions): FindCursor<Document> {
  const cursor = db.collection(collection).find(filter, { batchSize: opts.batchSize });
  if (opts.projection !== undefined) cursor.project(opts.projection);
  if (opts.sort !== undefined) cursor.sort(opts.sort);
  if (opts.skip > 0) cursor.skip(opts.skip);
  return cursor.limit(opts.limit);
}
