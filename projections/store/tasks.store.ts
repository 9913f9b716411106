// The task manager's documents (spec §7.1): `long_tasks`, one per task, read by `_id` on every
// hot path (check, task, runner claims). Results and report checkpoints of any size are split
// into parts of bounded size in `long_tasks_parts`, so no document nears MongoDB's 16 MB limit.
import type { Db, Document, Filter, Sort } from 'mongodb';
import { deleteExportFile } from './export-tasks.store.ts';

export const LONG_TASKS = 'long_tasks';
/** Result and checkpoint-state parts: `_id` `<taskId>_r<gen>_<n>` (result) or `<taskId>_s<gen>_<n>` (state). */
export const LONG_TASK_PARTS = 'long_tasks_parts';
/** Report job checkpoints, `_id` = task id. */
export const REPORT_CHECKPOINTS = 'report_checkpoints';

export const TASK_STATUSES = ['running', 'rerunning', 'completed', 'errored', 'stopped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** Statuses of a task whose work is under way (or queued for a runner). */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['running', 'rerunning'];

/** Progress of a report job (Tally's addition to §7.1): events folded of the events to fold. */
export interface TaskProgress {
  readonly done: number;
  readonly total: number;
  /** Events per second over the current run. */
  readonly rate: number;
  /** Estimated ms to completion; null when the rate is unknown. */
  readonly etaMs: number | null;
  /** Events folded by the latest run only (an auto-refresh folds only what arrived since). */
  readonly folded: number;
}

export interface SubtaskEntry {
  readonly status: TaskStatus;
  readonly start: number;
  readonly end: number;
  readonly hasData: boolean;
  readonly errormsg?: string;
}

/** The `long_tasks` document, field for field §7.1 (plus `progress` and `data_parts`). */
export interface LongTask {
  _id: string;
  ts: number;
  start: number;
  end: number;
  status: TaskStatus;
  type: string;
  /** JSON string; report tasks keep their resolved job here (kind, spec, period in ms). */
  meta: string;
  name: string;
  view: string;
  /** JSON string `{uri, method: "POST", json: {...parameters}}`. */
  request: string;
  app_id: string;
  creator: string;
  global: boolean;
  r_hour: number | null;
  autoRefresh: boolean;
  report_name: string;
  report_desc: string;
  period_desc: string;
  manually_create: boolean;
  subtask_key: string;
  taskgroup: boolean;
  subtask?: string;
  subtasks?: Record<string, SubtaskEntry>;
  linked_to?: unknown;
  hasData: boolean;
  /** Result as a JSON string, when it is small enough to keep inline. */
  data?: string;
  /** Result stored outside the document (Countly: GridFS; Tally: `data_parts` parts). */
  gridfs?: boolean;
  /** Number of result parts in `long_tasks_parts` when `gridfs` is true. */
  data_parts?: number;
  /** Generation of the stored result parts (a re-run writes a new one, then drops the old). */
  data_gen?: number;
  errormsg?: string;
  op_id?: string;
  comment_id?: string;
  progress?: TaskProgress;
}

const tasks = (db: Db) => db.collection<LongTask>(LONG_TASKS);
const parts = (db: Db) => db.collection<{ _id: string; text: string }>(LONG_TASK_PARTS);

export async function insertTask(db: Db, task: LongTask): Promise<void> {
  await tasks(db).insertOne(task);
}

/** One task by id, without its inline `data` unless asked. */
export async function readTask(db: Db, id: string, withData = false): Promise<LongTask | undefined> {
  const doc = await tasks(db).findOne({ _id: id }, withData ? {} : { projection: { data: 0 } });
  return doc ?? undefined;
}

/**
 * Sets fields of a task; with `whenStatus`, only while the task is in one of those statuses
 * (compare-and-set: a stopped or deleted task is not revived by a late runner write).
 * True when a task was updated.
 */
export async function updateTask(db: Db, id: string, set: Partial<LongTask>, whenStatus?: readonly TaskStatus[]): Promise<boolean> {
  const filter: Filter<LongTask> = whenStatus === undefined ? { _id: id } : { _id: id, status: { $in: [...whenStatus] } };
  const res = await tasks(db).updateOne(filter, { $set: set });
  return res.matchedCount > 0;
}

export async function unsetTaskFields(db: Db, id: string, fields: readonly (keyof LongTask)[]): Promise<void> {
  if (fields.length === 0) return;
  await tasks(db).updateOne({ _id: id }, { $unset: Object.fromEntries(fields.map((f) => [f, ''])) });
}

export interface TaskQuery {
  readonly filter: Document;
  readonly sort?: Sort;
  readonly skip?: number;
  readonly limit?: number;
}

/** Tasks matching a (guarded) filter, never with their inline data. */
export async function findTasks(db: Db, q: TaskQuery): Promise<LongTask[]> {
  let cursor = tasks(db).find(q.filter, { projection: { data: 0 } });
  if (q.sort !== undefined) cursor = cursor.sort(q.sort);
  if (q.skip !== undefined && q.skip > 0) cursor = cursor.skip(q.skip);
  if (q.limit !== undefined && q.limit > 0) cursor = cursor.limit(q.limit);
  return cursor.toArray();
}

export async function countTasks(db: Db, filter: Document): Promise<number> {
  return tasks(db).countDocuments(filter);
}

/** Ids of tasks matching a filter (small projection: runners and jobs scan with it). */
export async function findTaskIds(db: Db, filter: Document): Promise<string[]> {
  const docs = await tasks(db)
    .find(filter, { projection: { _id: 1 } })
    .toArray();
  return docs.map((d) => d._id);
}

const partId = (taskId: string, kind: 'r' | 's', gen: number, n: number): string => `${taskId}_${kind}${gen}_${n}`;

/** Writes `text` as parts of at most `partBytes` characters; returns the part count. */
export async function writeParts(db: Db, taskId: string, kind: 'r' | 's', gen: number, text: string, partBytes: number): Promise<number> {
  const docs: { _id: string; text: string }[] = [];
  for (let i = 0, n = 0; i < text.length || n === 0; i += partBytes, n++) docs.push({ _id: partId(taskId, kind, gen, n), text: text.slice(i, i + partBytes) });
  // One part per command: a batch of several 1 MB parts is itself bounded by the wire limit.
  for (const doc of docs) await parts(db).replaceOne({ _id: doc._id }, doc, { upsert: true });
  return docs.length;
}

/** The text of `count` parts, in order; undefined when one is missing. */
export async function readParts(db: Db, taskId: string, kind: 'r' | 's', gen: number, count: number): Promise<string | undefined> {
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const doc = await parts(db).findOne({ _id: partId(taskId, kind, gen, n) });
    if (doc === null) return undefined;
    out.push(doc.text);
  }
  return out.join('');
}

export async function deleteParts(db: Db, taskId: string, kind: 'r' | 's', gen: number, count: number): Promise<void> {
  if (count <= 0) return;
  const ids = Array.from({ length: count }, (_, n) => partId(taskId, kind, gen, n));
  await parts(db).deleteMany({ _id: { $in: ids } });
}

/** Where a report job stands: stream position, events done, and which state parts hold its fold. */
export interface ReportCheckpoint {
  _id: string;
  /** Last stream sequence folded into the state. */
  seq: number;
  /** Events folded into the state so far (over every run). */
  done: number;
  /** Generation and count of the state parts. */
  stateGen: number;
  stateParts: number;
  /** Stream sequence the current run folds up to (the head when it started). */
  endSeq: number;
  /** True once the run reached `endSeq` (the state is final for it). */
  finished: boolean;
  atMs: number;
}

const checkpoints = (db: Db) => db.collection<ReportCheckpoint>(REPORT_CHECKPOINTS);

export async function readReportCheckpoint(db: Db, taskId: string): Promise<ReportCheckpoint | undefined> {
  return (await checkpoints(db).findOne({ _id: taskId })) ?? undefined;
}

/**
 * Saves a checkpoint: the state's parts go first under a new generation, then the checkpoint
 * names them, then the previous generation is dropped. A crash between the steps leaves the
 * previous checkpoint whole (at worst orphan parts of an unnamed generation, overwritten later).
 */
export async function saveReportCheckpoint(
  db: Db,
  cp: Omit<ReportCheckpoint, 'stateGen' | 'stateParts'>,
  stateJson: string,
  partBytes: number,
  previous: ReportCheckpoint | undefined,
): Promise<ReportCheckpoint> {
  const stateGen = (previous?.stateGen ?? 0) + 1;
  const stateParts = await writeParts(db, cp._id, 's', stateGen, stateJson, partBytes);
  const next: ReportCheckpoint = { ...cp, stateGen, stateParts };
  await checkpoints(db).replaceOne({ _id: cp._id }, next, { upsert: true });
  if (previous !== undefined) await deleteParts(db, cp._id, 's', previous.stateGen, previous.stateParts);
  return next;
}

export async function readCheckpointState(db: Db, cp: ReportCheckpoint): Promise<string | undefined> {
  return readParts(db, cp._id, 's', cp.stateGen, cp.stateParts);
}

/** Removes a task, its result parts, its checkpoint and state parts. */
export async function deleteTaskAndParts(db: Db, task: Pick<LongTask, '_id' | 'data_parts' | 'data_gen'>): Promise<void> {
  const cp = await readReportCheckpoint(db, task._id);
  if (cp !== undefined) {
    await deleteParts(db, task._id, 's', cp.stateGen, cp.stateParts);
    await checkpoints(db).deleteOne({ _id: task._id });
  }
  if (task.data_parts !== undefined) await deleteParts(db, task._id, 'r', task.data_gen ?? 0, task.data_parts);
  // An export task's file goes with it (a no-op for other tasks).
  await deleteExportFile(db, task._id);
  await tasks(db).deleteOne({ _id: task._id });
}

export async function deleteReportCheckpoint(db: Db, taskId: string): Promise<void> {
  const cp = await readReportCheckpoint(db, taskId);
  if (cp === undefined) return;
  await deleteParts(db, taskId, 's', cp.stateGen, cp.stateParts);
  await checkpoints(db).deleteOne({ _id: taskId });
}

/** A task's result as JSON text: inline `data`, or its parts. */
export async function readTaskData(db: Db, task: LongTask): Promise<string | undefined> {
  if (task.data !== undefined) return task.data;
  if (task.gridfs === true && task.data_parts !== undefined) return readParts(db, task._id, 'r', task.data_gen ?? 0, task.data_parts);
  return undefined;
}
