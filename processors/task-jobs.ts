// The task manager's periodic jobs (spec §7.4): auto-refresh of `autoRefresh` tasks, and the
// cleanup of tasks not created by hand after `reports.cleanupAgeDays`.
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { deleteTaskAndParts, findTaskIds, findTasks, readTask, REPORT_TASK_TYPE, updateTask, type LongTask } from '../projections/index.ts';
import type { TallyConfig } from '../streams.config.ts';

const DAY_MS = 86_400_000;

/** Whether a task is due: never started, or `now + last duration − last start ≥ regenerate interval` (§7.4). */
export function isRefreshDue(task: Pick<LongTask, 'start' | 'end'>, nowMs: number, regenerateIntervalMs: number): boolean {
  if (task.start === 0) return true;
  const lastDurationMs = Math.max(0, task.end - task.start);
  return nowMs + lastDurationMs - task.start >= regenerateIntervalMs;
}

/**
 * Marks due auto-refresh tasks `rerunning`. Their checkpoint stays, so the runner continues
 * from it and folds only the events that arrived since. Task groups wait for running subtasks.
 */
export async function autoRefreshDue(db: Db, config: Readonly<TallyConfig>, nowMs: number): Promise<string[]> {
  const tasks = await findTasks(db, {
    filter: { autoRefresh: true, type: REPORT_TASK_TYPE, status: { $in: ['completed', 'errored', 'stopped'] }, subtask: { $exists: false } },
  });
  const started: string[] = [];
  for (const task of tasks) {
    if (!isRefreshDue(task, nowMs, config.reports.regenerateIntervalMs)) continue;
    if (task.taskgroup && (await findTaskIds(db, { subtask: task._id, status: { $in: ['running', 'rerunning'] } })).length > 0) continue;
    if (await updateTask(db, task._id, { status: 'rerunning', start: nowMs, end: 0 }, [task.status])) started.push(task._id);
  }
  return started;
}

/** Deletes tasks with `manually_create` not true whose `ts` is older than the cleanup age, with their parts. */
export async function cleanupOldTasks(db: Db, config: Readonly<TallyConfig>, nowMs: number, log: Logger): Promise<number> {
  const cutoff = nowMs - config.reports.cleanupAgeDays * DAY_MS;
  const ids = await findTaskIds(db, { manually_create: { $ne: true }, ts: { $lt: cutoff } });
  for (const id of ids) {
    const task = await readTask(db, id);
    if (task !== undefined) await deleteTaskAndParts(db, task);
  }
  if (ids.length > 0) log.info({ deleted: ids.length, cutoff }, 'old tasks cleaned up');
  return ids.length;
}
