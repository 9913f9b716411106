// The report runner of a processor process: takes report tasks that no runner holds (queued by
// the API, left by a dead process, or due for auto-refresh), one lease per task so exactly one
// runner folds it, and runs the task manager's periodic jobs (auto-refresh, 90-day cleanup).
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { ACTIVE_STATUSES, findTaskIds, readTask, REPORT_TASK_TYPE, updateTask, type LongTask } from '../projections/index.ts';
import { reportLeaseBucket, reportQueuedSubject, reportStopSubject, taskLeaseKey, type TallyConfig } from '../streams.config.ts';
import { leaseHolder, tryAcquireLease, type Lease } from './lease.ts';
import { runReportJob, type JobOutcome } from './report-job.ts';
import { autoRefreshDue, cleanupOldTasks } from './task-jobs.ts';

/** How a finished task is announced (mail, when wired; no-op by default). */
export type NotifyTaskFinished = (task: LongTask, outcome: 'completed' | 'errored') => Promise<void>;

export interface ReportRunnerDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  /** Called when a task created by hand completes or fails. */
  readonly notifyTaskFinished?: NotifyTaskFinished;
  readonly now?: () => number;
}

export interface ReportRunner {
  /** Ids of the tasks this process is running now. */
  running(): string[];
  /** Looks for work now (tests; the runner also polls). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/** Lease key of the periodic jobs: one process runs them at a time. */
const JOBS_LEASE = 'task-manager-jobs';
/** The message of §7.1 for a running task nobody holds after a restart. */
export const KILLED_MESSAGE = 'Task was killed during server restart.';

interface Running {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export async function startReportRunner(deps: ReportRunnerDeps): Promise<ReportRunner> {
  const { config, log } = deps;
  const now = deps.now ?? Date.now;
  const ttl = config.reports.leaseTtlMs;
  const kv: KV = await new Kvm(deps.nc).create(reportLeaseBucket(config.streams), { ttl, history: 1 });
  const owner = `${process.pid}-${randomUUID()}`;
  const jobs = new Map<string, Running>();
  let stopping = false;

  const finish = async (id: string, outcome: JobOutcome): Promise<void> => {
    if (outcome.kind === 'abandoned' || deps.notifyTaskFinished === undefined) return;
    const task = await readTask(deps.db, id);
    if (task?.manually_create === true) await deps.notifyTaskFinished(task, outcome.kind);
  };

  const run = (id: string, lease: Lease): void => {
    const abort = new AbortController();
    // A lost lease means another runner may take the task: this one stops folding at once.
    const watch = setInterval(
      () => {
        if (!lease.held()) abort.abort();
      },
      Math.max(100, Math.floor(ttl / 3)),
    );
    const done = runReportJob({ ...deps, now }, id, abort.signal)
      .then((outcome) => finish(id, outcome))
      .catch((err: unknown) => log.error({ err, taskId: id }, 'report job failed; another runner resumes it from its checkpoint'))
      .finally(() => {
        clearInterval(watch);
        jobs.delete(id);
        void lease.release().then(() => (stopping ? undefined : poll()));
      });
    jobs.set(id, { abort, done });
  };

  const takeFree = async (): Promise<void> => {
    const ids = await findTaskIds(deps.db, { type: REPORT_TASK_TYPE, status: { $in: [...ACTIVE_STATUSES] } });
    for (const id of ids) {
      if (stopping || jobs.size >= config.reports.maxConcurrentJobs) return;
      if (jobs.has(id)) continue;
      const lease = await tryAcquireLease(kv, taskLeaseKey(id), owner, ttl, log);
      if (lease !== undefined) run(id, lease);
    }
  };

  let polling: Promise<void> | undefined;
  const poll = (): Promise<void> => {
    polling ??= takeFree()
      .catch((err: unknown) => log.error({ err }, 'report runner poll failed; retrying at the next poll'))
      .finally(() => (polling = undefined));
    return polling;
  };

  const subs: Subscription[] = [
    deps.nc.subscribe(reportQueuedSubject(config.streams), { callback: () => void poll() }),
    deps.nc.subscribe(reportStopSubject(config.streams), {
      callback: (_err, msg) => jobs.get(msg.string())?.abort.abort(),
    }),
  ];
  await markKilled(deps, kv, now);
  const timers = [
    setInterval(() => void poll(), config.reports.pollEveryMs),
    setInterval(() => void periodic(deps, kv, owner, () => autoRefreshDue(deps.db, config, now()).then(() => poll())), config.reports.autoRefreshEveryMs),
    setInterval(() => void periodic(deps, kv, owner, () => cleanupOldTasks(deps.db, config, now(), log)), config.reports.cleanupEveryMs),
  ];
  for (const t of timers) t.unref();
  await poll();
  log.info({ owner }, 'report runner started');
  return {
    running: () => [...jobs.keys()],
    poll,
    async stop() {
      stopping = true;
      for (const t of timers) clearInterval(t);
      for (const s of subs) s.unsubscribe();
      for (const j of jobs.values()) j.abort.abort();
      await Promise.all([...jobs.values()].map((j) => j.done));
      await polling;
    },
  };
}

/** Runs one periodic job under the jobs lease (skipped when another process holds it). */
async function periodic(deps: ReportRunnerDeps, kv: KV, owner: string, job: () => Promise<unknown>): Promise<void> {
  try {
    const lease = await tryAcquireLease(kv, JOBS_LEASE, owner, deps.config.reports.leaseTtlMs, deps.log);
    if (lease === undefined) return;
    try {
      await job();
    } finally {
      await lease.release();
    }
  } catch (err) {
    deps.log.error({ err }, 'task manager job failed; retrying at its next interval');
  }
}

/**
 * §7.1 after a restart: a running task of another kind (an export run inside an API process)
 * that nobody holds is errored with Countly's message. Report tasks are not: a runner resumes
 * them from their checkpoint.
 */
async function markKilled(deps: ReportRunnerDeps, kv: KV, now: () => number): Promise<void> {
  const ids = await findTaskIds(deps.db, { type: { $ne: REPORT_TASK_TYPE }, status: { $in: [...ACTIVE_STATUSES] } });
  for (const id of ids) {
    if ((await leaseHolder(kv, taskLeaseKey(id))) !== undefined) continue;
    if (await updateTask(deps.db, id, { status: 'errored', errormsg: KILLED_MESSAGE, end: now() }, ACTIVE_STATUSES))
      deps.log.warn({ taskId: id }, 'task killed by a restart');
  }
}
