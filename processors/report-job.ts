// One report job run: read the app's events from the stream (by time from the period's start,
// or from the checkpoint's sequence), fold them, checkpoint position + state every few seconds,
// and store the result in bounded parts. The caller holds the task's lease while this runs.
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import {
  ACTIVE_STATUSES,
  decodeEvent,
  EventDecodeError,
  openReport,
  readCheckpointState,
  readReportCheckpoint,
  readTask,
  reportJob,
  saveReportCheckpoint,
  updateTask,
  writeParts,
  deleteParts,
  unsetTaskFields,
  type LongTask,
  type OpenReport,
  type ReportCheckpoint,
  type ReportJob,
  type TallyEvent,
} from '../projections/index.ts';
import { appEventsFilterSubject, eventsStreamName, type TallyConfig } from '../streams.config.ts';

export interface ReportJobDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  /** Current time, ms. */
  readonly now: () => number;
}

/** How a run ended: finished (result stored), failed (errored with a message), or abandoned (stopped, deleted, lease lost, shutdown). */
export type JobOutcome = { readonly kind: 'completed' } | { readonly kind: 'errored'; readonly message: string } | { readonly kind: 'abandoned' };

/** Results up to this size stay inline in the task's `data`; larger ones go to parts. */
const INLINE_RESULT_CHARS = 64 * 1_024;

/** The refusal of §"period before the stream's history": never a partial answer. */
export function historyRefusal(job: Pick<ReportJob, 'startMs'>, firstSeq: number, firstTs: string): string | undefined {
  const firstMs = Date.parse(firstTs);
  if (firstSeq <= 1 || !(job.startMs < firstMs)) return undefined;
  return `Period starts at ${new Date(job.startMs).toISOString()}, before the oldest event the stream still holds (${new Date(firstMs).toISOString()}); choose a later start`;
}

interface RunState {
  report: OpenReport;
  cp: ReportCheckpoint | undefined;
  seq: number;
  done: number;
  endSeq: number;
  folded: number;
  total: number;
  startedMs: number;
}

async function saveProgress(deps: ReportJobDeps, task: LongTask, s: RunState, finished: boolean): Promise<boolean> {
  s.cp = await saveReportCheckpoint(
    deps.db,
    { _id: task._id, seq: s.seq, done: s.done, endSeq: s.endSeq, finished, atMs: deps.now() },
    s.report.stateJson(),
    deps.config.reports.partBytes,
    s.cp,
  );
  const elapsedS = Math.max(0.001, (deps.now() - s.startedMs) / 1_000);
  const rate = s.folded / elapsedS;
  const left = Math.max(0, s.total - s.done);
  const progress = {
    done: s.done,
    total: Math.max(s.total, s.done),
    rate: Math.round(rate),
    etaMs: rate > 0 ? Math.round((left / rate) * 1_000) : null,
    folded: s.folded,
  };
  // Compare-and-set on the status: a task stopped or deleted meanwhile is not touched, and the run ends.
  return updateTask(deps.db, task._id, { progress }, ACTIVE_STATUSES);
}

async function storeResult(deps: ReportJobDeps, task: LongTask, result: unknown): Promise<boolean> {
  const json = JSON.stringify(result);
  const end = deps.now();
  if (json.length <= INLINE_RESULT_CHARS) {
    const ok = await updateTask(deps.db, task._id, { status: 'completed', end, data: json, hasData: true, gridfs: false, errormsg: '' }, ACTIVE_STATUSES);
    if (ok && task.data_parts !== undefined) {
      await deleteParts(deps.db, task._id, 'r', task.data_gen ?? 0, task.data_parts);
      await unsetTaskFields(deps.db, task._id, ['data_parts', 'data_gen']);
    }
    return ok;
  }
  const gen = (task.data_gen ?? 0) + 1;
  const parts = await writeParts(deps.db, task._id, 'r', gen, json, deps.config.reports.partBytes);
  const ok = await updateTask(
    deps.db,
    task._id,
    { status: 'completed', end, hasData: true, gridfs: true, data_parts: parts, data_gen: gen, errormsg: '' },
    ACTIVE_STATUSES,
  );
  if (!ok) return false;
  await unsetTaskFields(deps.db, task._id, ['data']);
  if (task.data_parts !== undefined) await deleteParts(deps.db, task._id, 'r', task.data_gen ?? 0, task.data_parts);
  return true;
}

/** Where this run starts: the checkpoint (resume or refresh), else the period's first instant. */
async function openRun(deps: ReportJobDeps, task: LongTask, job: ReportJob, headSeq: number): Promise<RunState> {
  const cp = await readReportCheckpoint(deps.db, task._id);
  const stateJson = cp === undefined ? undefined : await readCheckpointState(deps.db, cp);
  const usable = cp !== undefined && stateJson !== undefined ? cp : undefined;
  return {
    report: openReport(job, usable === undefined ? undefined : stateJson),
    cp,
    seq: usable?.seq ?? 0,
    done: usable?.done ?? 0,
    // A killed run resumes towards the head it started for; a finished one (auto-refresh) goes on to today's head.
    endSeq: usable !== undefined && !usable.finished ? usable.endSeq : headSeq,
    folded: 0,
    total: 0,
    startedMs: deps.now(),
  };
}

async function consumerFor(deps: ReportJobDeps, job: ReportJob, s: RunState, fresh: boolean) {
  const stream = eventsStreamName(deps.config.streams);
  const filter = appEventsFilterSubject(deps.config.streams, job.appId);
  return deps.js.consumers.get(stream, {
    filter_subjects: [filter],
    ...(fresh
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(job.startMs).toISOString() }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: s.seq + 1 }),
  });
}

function decodeOrSkip(deps: ReportJobDeps, data: Uint8Array, seq: number): TallyEvent | undefined {
  try {
    return decodeEvent(data, seq);
  } catch (err) {
    // Decision: an undecodable event is skipped by reports (live processing dead-letters it); logged with its sequence.
    if (err instanceof EventDecodeError) {
      deps.log.warn({ err, seq }, 'report skipped an undecodable event');
      return undefined;
    }
    throw err;
  }
}

/** Reads and folds from the run's position up to `endSeq`; false when the run was abandoned. */
async function foldStream(deps: ReportJobDeps, task: LongTask, job: ReportJob, s: RunState, signal: AbortSignal): Promise<boolean> {
  const consumer = await consumerFor(deps, job, s, s.seq === 0);
  const pending = (await consumer.info()).num_pending;
  s.total = s.done + pending;
  if (pending === 0 || s.seq >= s.endSeq) return true;
  const messages = await consumer.consume({ max_messages: deps.config.reports.fetchSize });
  let batch: TallyEvent[] = [];
  let lastCheckpointMs = deps.now();
  const flush = () => {
    if (batch.length === 0) return;
    s.report.fold(batch);
    s.folded += batch.length;
    s.done += batch.length;
    batch = [];
  };
  try {
    for await (const m of messages) {
      if (signal.aborted) return false;
      if (m.seq > s.endSeq) break;
      const event = decodeOrSkip(deps, m.data, m.seq);
      if (event !== undefined) batch.push(event);
      s.seq = m.seq;
      const last = m.info.pending === 0 || m.seq >= s.endSeq;
      if (batch.length >= deps.config.reports.fetchSize || last) flush();
      if (!last && deps.now() - lastCheckpointMs >= deps.config.reports.checkpointEveryMs) {
        flush();
        if (!(await saveProgress(deps, task, s, false))) return false;
        lastCheckpointMs = deps.now();
      }
      if (last) break;
    }
    flush();
    return !signal.aborted;
  } finally {
    await messages.close();
  }
}

/** Runs one job to its end (or until abandoned). Never throws for a bad job: that is an `errored` outcome. */
export async function runReportJob(deps: ReportJobDeps, taskId: string, signal: AbortSignal): Promise<JobOutcome> {
  const task = await readTask(deps.db, taskId);
  if (task === undefined || !ACTIVE_STATUSES.includes(task.status)) return { kind: 'abandoned' };
  const parsed = reportJob.safeParse(safeJson(task.meta));
  if (!parsed.success) return fail(deps, task, 'The report job could not be read');
  const job = parsed.data;
  const info = await deps.jsm.streams.info(eventsStreamName(deps.config.streams));
  const refusal = historyRefusal(job, info.state.first_seq, info.state.first_ts);
  if (refusal !== undefined) return fail(deps, task, refusal);
  const s = await openRun(deps, task, job, info.state.last_seq);
  deps.log.info({ taskId, kind: job.kind, fromSeq: s.seq, endSeq: s.endSeq, resumed: s.cp !== undefined }, 'report job started');
  if (!(await foldStream(deps, task, job, s, signal))) return { kind: 'abandoned' };
  if (!(await saveProgress(deps, task, s, true))) return { kind: 'abandoned' };
  if (!(await storeResult(deps, task, s.report.result()))) return { kind: 'abandoned' };
  deps.log.info({ taskId, done: s.done, folded: s.folded }, 'report job completed');
  return { kind: 'completed' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Decision: an unreadable meta fails the task with a message (below), it does not stop the runner.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

async function fail(deps: ReportJobDeps, task: LongTask, message: string): Promise<JobOutcome> {
  const ok = await updateTask(deps.db, task._id, { status: 'errored', end: deps.now(), errormsg: message, hasData: false }, ACTIVE_STATUSES);
  deps.log.warn({ taskId: task._id, message }, 'report job refused');
  return ok ? { kind: 'errored', message } : { kind: 'abandoned' };
}
