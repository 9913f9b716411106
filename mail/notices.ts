// The mails Tally sends, each addressed to a member in their language and time zone. Sign-in
// mails get their one-time link from the caller; task and error notices build their own links.
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { claimNoticeSlot, findMemberById, listGlobalAdmins, type MemberRecord } from '../projections/index.ts';
import type { TallyConfig } from '../streams.config.ts';
import { pickLanguage, renderMessage, type Catalogue, type MessageKey, type MessageVars } from './catalogue.ts';
import type { Mailer } from './mailer.ts';

/** What sending a notice needs; built once per process (api context, processors). */
export interface MailDeps {
  readonly db: Db;
  readonly mailer: Mailer;
  readonly catalogues: ReadonlyMap<string, Catalogue>;
  readonly config: Readonly<TallyConfig>;
  readonly log: Logger;
  /** Current time, ms since the epoch. */
  now(): number;
}

/** A dashboard link: `api.publicUrl` + path (no double slash). */
export const publicLink = (config: Readonly<TallyConfig>, path: string): string => `${config.api.publicUrl.replace(/\/+$/, '')}${path}`;

/** Greeting name: the first word of `full_name` (spec §9.3), else the username. */
const greetingName = (m: MemberRecord): string => m.full_name.trim().split(/\s+/)[0] || m.username;

/** Renders `key` for `member` and queues it. */
export function mailMember(deps: MailDeps, member: MemberRecord, key: MessageKey, vars: MessageVars): void {
  const language = pickLanguage(deps.catalogues, member.lang);
  const catalogue = deps.catalogues.get(language);
  if (catalogue === undefined) throw new Error(`catalogue ${language} vanished`);
  const rendered = renderMessage(catalogue, key, { name: greetingName(member), username: member.username, ...vars }, { language, timezone: member.timezone });
  deps.mailer.send({ to: member.email, kind: key, ...rendered });
}

/** New member: the password-set link (`/reset/<prid>`, spec §9.3). */
export const sendInvitation = (deps: MailDeps, member: MemberRecord, link: string, expiresAtMs: number): void =>
  mailMember(deps, member, 'invite', { link: { url: link }, expires: { atMs: expiresAtMs } });

/** The password was changed by an admin. Unlike Countly, the mail never carries the password. */
export const sendPasswordChanged = (deps: MailDeps, member: MemberRecord): void =>
  mailMember(deps, member, 'passwordChanged', { when: { atMs: deps.now() }, link: { url: publicLink(deps.config, '/forgot') } });

/** `POST /forgot` with a known address: the reset link. */
export const sendPasswordReset = (deps: MailDeps, member: MemberRecord, link: string, expiresAtMs: number): void =>
  mailMember(deps, member, 'passwordReset', { link: { url: link }, expires: { atMs: expiresAtMs } });

/** A brute-force block began: a one-time sign-in link (`/login/token/<token>`). */
export const sendAccountLocked = (deps: MailDeps, member: MemberRecord, link: string, expiresAtMs: number): void =>
  mailMember(deps, member, 'accountLocked', { when: { atMs: deps.now() }, link: { url: link }, expires: { atMs: expiresAtMs } });

/** The fields of a task document (spec §7.1) a notice reads. */
export interface FinishedTask {
  readonly _id: string;
  /** Member id (hex) of the member who started the task. */
  readonly creator?: string;
  readonly name?: string;
  readonly report_name?: string;
  readonly app_id?: string;
  readonly errormsg?: string;
  /** Dashboard hash link of the task's view (`#/...`), when it has one. */
  readonly view?: string;
}

/**
 * Tells a task's creator that it completed or failed, with a link to it. Resolves after the
 * mail is queued; no creator (or one since deleted) sends nothing and resolves false.
 */
export async function notifyTaskFinished(deps: MailDeps, o: { task: FinishedTask; outcome: 'completed' | 'errored' }): Promise<boolean> {
  const { task } = o;
  const creator = task.creator === undefined ? undefined : await findMemberById(deps.db, task.creator);
  if (creator === undefined) {
    deps.log.info({ taskId: task._id, creator: task.creator }, 'task notice not sent: no creator');
    return false;
  }
  const view = task.view?.startsWith('#/') === true ? task.view : `#/manage/tasks/${encodeURIComponent(task._id)}`;
  const vars = { task: task.report_name ?? task.name ?? task._id, when: { atMs: deps.now() }, link: { url: publicLink(deps.config, `/dashboard${view}`) } };
  if (o.outcome === 'completed') mailMember(deps, creator, 'taskCompleted', vars);
  else mailMember(deps, creator, 'taskFailed', { ...vars, error: task.errormsg ?? '' });
  return true;
}

/** An incident global admins hear about: its kind decides the rate limit (one mail per kind per window). */
export interface Incident {
  /** Stable kind: `dead-letters`, `rebuild-failed`, `task-failed`, ... */
  readonly kind: string;
  /** One line, shown as the subject. */
  readonly title: string;
  /** More words for the body. */
  readonly detail: string;
}

/**
 * Mails every global admin about an incident, at most once per window of `mail.errorIntervalMs`
 * per kind across all processes (an incident that repeats a thousand times sends one mail). Resolves
 * true when this call sent it, false when the window was already used.
 */
export async function notifyError(deps: MailDeps, incident: Incident): Promise<boolean> {
  const intervalMs = deps.config.mail.errorIntervalMs;
  if (!(await claimNoticeSlot(deps.db, `error:${incident.kind}`, deps.now(), intervalMs))) {
    deps.log.info({ incident: incident.kind }, 'error notice held back by the rate limit');
    return false;
  }
  const vars = {
    incident: incident.title,
    detail: incident.detail,
    when: { atMs: deps.now() },
    quietMinutes: String(Math.round(intervalMs / 60_000)),
    link: { url: publicLink(deps.config, '/o/system/pipeline') },
  };
  for (const admin of await listGlobalAdmins(deps.db)) if (!admin.locked) mailMember(deps, admin, 'errorNotice', vars);
  return true;
}
