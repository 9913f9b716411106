// Exports that become tasks (spec §7.1, §7.2): the `long_tasks` document an export creates and
// completes, and the export file, stored in bounded chunks.
//
// The file is not GridFS: GridFS reads its chunks with `{files_id, n}` sorted by `n`, a filter
// FerretDB v1.24 answers by reading every chunk of every file (only a plain `_id` equality uses
// an index there, docs/ferretdb.md). Here a chunk's `_id` is `<fileId>:<n>` and the file document
// (`_id` = fileId) is written last, with the chunk count, so every read is by `_id` and a file
// whose writer died half-way is never visible. The task manager (tasks.store.ts) owns the task
// endpoints; deleting a task (deleteTaskAndParts) deletes its export file with `deleteExportFile`.
import { Writable } from 'node:stream';
import { Binary, type Db } from 'mongodb';
import { z } from 'zod';
import { StoreUnavailableError } from '../errors.ts';
import { LONG_TASKS } from './tasks.store.ts';
import { guarded } from './guarded.ts';

export const EXPORT_FILES = 'export_files';
export const EXPORT_CHUNKS = 'export_chunks';

/** Bytes per stored chunk (GridFS's default, well under the 16 MB document limit). */
export const EXPORT_CHUNK_BYTES = 255 * 1024;

/** The fields of a `long_tasks` document an export reads back (the document has all of §7.1). */
export const exportTaskSchema = z.looseObject({
  _id: z.string(),
  status: z.string(),
  app_id: z.string(),
  creator: z.string(),
  global: z.boolean(),
  report_name: z.string().optional(),
  gridfs: z.boolean().optional(),
  errormsg: z.string().optional(),
});
export type ExportTask = z.infer<typeof exportTaskSchema>;

const tasks = (db: Db) => db.collection<{ _id: string }>(LONG_TASKS);

/** Inserts a task document (built by the caller with every field of §7.1). */
export async function insertExportTask(db: Db, doc: { readonly _id: string } & Readonly<Record<string, unknown>>): Promise<void> {
  await guarded('task insert', () => tasks(db).insertOne({ ...doc }));
}

/** A running task of `creator` with this exact stored request (spec §7.2: the same request gets the same task). */
export async function findRunningTask(db: Db, creator: string, request: string): Promise<string | undefined> {
  const doc = await guarded('task lookup', () =>
    tasks(db).findOne({ creator, request, status: { $in: ['running', 'rerunning'] } }, { projection: { _id: 1 } }),
  );
  return doc?._id;
}

export async function findExportTask(db: Db, id: string): Promise<ExportTask | undefined> {
  const doc = await guarded('task lookup', () => tasks(db).findOne({ _id: id }));
  if (doc === null) return undefined;
  const parsed = exportTaskSchema.safeParse(doc);
  // A task document of another shape (written by another tool) is no export task.
  return parsed.success ? parsed.data : undefined;
}

/** `running` → `completed`, the result stored as a file (`gridfs: true`, Countly's flag). */
export async function completeExportTask(db: Db, id: string, endMs: number, hasData: boolean): Promise<void> {
  await guarded('task update', () => tasks(db).updateOne({ _id: id }, { $set: { status: 'completed', end: endMs, hasData, gridfs: true, errormsg: '' } }));
}

/** `running` → `errored` with the message a client sees in the task. */
export async function failExportTask(db: Db, id: string, endMs: number, errormsg: string): Promise<void> {
  await guarded('task update', () => tasks(db).updateOne({ _id: id }, { $set: { status: 'errored', end: endMs, hasData: false, errormsg } }));
}

interface FileDoc {
  _id: string;
  length: number;
  chunks: number;
  chunkSize: number;
  filename: string;
  uploadDate: Date;
}

const files = (db: Db) => db.collection<FileDoc>(EXPORT_FILES);
const chunks = (db: Db) => db.collection<{ _id: string; data: Binary }>(EXPORT_CHUNKS);
const chunkId = (fileId: string, n: number): string => `${fileId}:${n}`;

/** Length in bytes of a stored export file; undefined when there is none (or it is not complete). */
export async function exportFileLength(db: Db, fileId: string): Promise<number | undefined> {
  const doc = await guarded('export file lookup', () => files(db).findOne({ _id: fileId }));
  return doc?.length;
}

/**
 * A writable that stores what it is given as the file `fileId`: a chunk is inserted (and awaited,
 * which is the backpressure) each time `chunkBytes` have been collected; the file document last.
 */
export function exportFileWriter(db: Db, fileId: string, filename: string, chunkBytes = EXPORT_CHUNK_BYTES): Writable {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let n = 0;
  let length = 0;
  const store = async (data: Buffer): Promise<void> => {
    for (let at = 0; at < data.length; at += chunkBytes) {
      const part = data.subarray(at, Math.min(at + chunkBytes, data.length));
      const _id = chunkId(fileId, n++);
      await guarded('export chunk insert', () => chunks(db).insertOne({ _id, data: new Binary(part) }));
      length += part.length;
    }
  };
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < chunkBytes) return cb();
      // Whole chunks are stored now; the remainder waits for more bytes.
      const all = Buffer.concat(pending, pendingBytes);
      const whole = all.length - (all.length % chunkBytes);
      pending = [all.subarray(whole)];
      pendingBytes = all.length - whole;
      store(all.subarray(0, whole)).then(() => cb(), cb);
    },
    final(cb) {
      store(Buffer.concat(pending, pendingBytes))
        .then(() =>
          guarded('export file insert', () => files(db).insertOne({ _id: fileId, length, chunks: n, chunkSize: chunkBytes, filename, uploadDate: new Date() })),
        )
        .then(() => cb(), cb);
    },
  });
}

/** The bytes of a stored file, chunk by chunk in order, each read by `_id`. */
export async function* readExportFile(db: Db, fileId: string): AsyncGenerator<Buffer> {
  const file = await guarded('export file lookup', () => files(db).findOne({ _id: fileId }));
  if (file === null) return;
  for (let n = 0; n < file.chunks; n++) {
    const doc = await guarded('export chunk read', () => chunks(db).findOne({ _id: chunkId(fileId, n) }));
    if (doc === null) throw new StoreUnavailableError(`export chunk ${chunkId(fileId, n)} is missing`);
    yield Buffer.from(doc.data.buffer);
  }
}

/**
 * Deletes the file of an export task (its chunks, then its document). The task manager calls this
 * when it deletes a task; an export that failed half-way calls it for the chunks it wrote.
 * Chunks are found by their `_id` prefix, so chunks of a file whose document was never written
 * go too.
 */
export async function deleteExportFile(db: Db, taskId: string): Promise<void> {
  const prefix = `${taskId}:`;
  await guarded('export chunk delete', () => chunks(db).deleteMany({ _id: { $gte: prefix, $lt: `${taskId};` } }));
  await guarded('export file delete', () => files(db).deleteOne({ _id: taskId }));
}
