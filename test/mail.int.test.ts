// Mail through a real SMTP server (`smtp-server`): the member's language and time zone, English
// as the fallback, values escaped in HTML; SMTP down → the request succeeds and the mail arrives
// once the server is back; no SMTP → the outbox folder and the log; the password-change notice;
// task and error notices (the latter rate-limited), all counted on /o/system/pipeline.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyError, notifyTaskFinished, type FinishedTask } from '../mail/index.ts';
import { apiGet, createMemberViaApi } from './support/api-client.ts';
import { Browser, csrfOf, pathOf } from './support/browser.ts';
import { ADMIN, type TestTally } from './support/harness.ts';
import { PUBLIC_URL, startSigninApi, startSigninWorld, stopSigninWorld, type SigninApi } from './support/signin-api.ts';
import { linkIn, parseMail, TestSmtp } from './support/smtp.ts';
import { waitUntil } from './support/wait.ts';

let tally: TestTally;
let smtp: TestSmtp;
let s: SigninApi;
let adminKey: string;

beforeAll(async () => {
  ({ tally, smtp, s, adminKey } = await startSigninWorld());
});
afterAll(() => stopSigninWorld({ tally, smtp, s }));

interface MailCounters {
  queued: number;
  sent: number;
  retried: number;
  failed: number;
  outbox: number;
}
async function mailCounters(api: SigninApi = s): Promise<MailCounters> {
  const res = await apiGet(api.url, '/o/system/pipeline', { api_key: adminKey });
  expect(res.status).toBe(200);
  return (res.body as { mail: MailCounters }).mail;
}

describe('messages', () => {
  it('speaks the member language with dates in their time zone, falls back to English, escapes values in HTML', async () => {
    await createMemberViaApi(s.url, adminKey, {
      full_name: 'Dora Fischer',
      username: 'dora',
      email: 'dora@example.com',
      lang: 'de',
      timezone: 'Europe/Berlin',
    });
    const de = await smtp.waitFor('dora@example.com', /^Ihr Tally-Konto$/);
    expect(de.text).toContain('Hallo Dora,');
    expect(de.text).toContain('Ihr Benutzername ist dora.');
    // The clock stands at 2030-01-01 12:00 UTC; the link lives 7 days: 8 January, 13:00 in Berlin.
    expect(de.text).toContain('bis 8. Januar 2030 um 13:00 MEZ');
    // The German link works like any other.
    const b = new Browser(s.url);
    const link = linkIn(de, `${PUBLIC_URL}/reset/`);
    const set = await b.post(pathOf(link), { password: 'Dora#2pass', again: 'Dora#2pass', _csrf: csrfOf(await b.get(pathOf(link))) });
    expect(set.location).toBe('/login?message=reset.result');

    await createMemberViaApi(s.url, adminKey, { full_name: '<i>Eve</i> "Q" Doe', username: 'eve', email: 'eve@example.com', lang: 'xx' });
    const en = await smtp.waitFor('eve@example.com', /^Your Tally Account$/);
    expect(en.text).toContain('Hello <i>Eve</i>,');
    expect(en.html).toContain('Hello &lt;i&gt;Eve&lt;/i&gt;,');
    expect(en.html).not.toContain('<i>Eve');
    expect(en.text).toContain('until January 8, 2030 at 12:00 PM UTC');
  });

  it('tells a member their password was changed when asked to (send_notification), never with the password', async () => {
    const dora = await createMemberViaApi(s.url, adminKey, { full_name: 'Frank', username: 'frank', email: 'frank@example.com' });
    const update = (args: Record<string, unknown>) => apiGet(s.url, '/i/users/update', { api_key: adminKey, args: { user_id: dora._id, ...args } });
    expect((await update({ password: 'Silent#1pass' })).status).toBe(200);
    expect((await update({ password: 'Told#2pass', send_notification: true })).status).toBe(200);
    const notice = await smtp.waitFor('frank@example.com', /^Tally Account - Password Change$/);
    await s.mail.mailer.idle();
    expect(smtp.mailsTo('frank@example.com').filter((m) => /Password Change/.test(m.subject))).toHaveLength(1);
    expect(notice.text).toContain('Hello Frank,');
    expect(notice.text).not.toContain('Told#2pass');
    expect(notice.html).not.toContain('Told#2pass');
  });
});

describe('delivery', () => {
  it('SMTP down: the request succeeds, the mail is retried and arrives when the server is back', async () => {
    const probe = await TestSmtp.start();
    const port = probe.port;
    await probe.stop();
    const down = await startSigninApi(tally, { smtpUrl: `smtp://127.0.0.1:${port}`, mail: { attempts: 100 } });
    try {
      const before = await mailCounters(down);
      // 1. The member is created while no server listens.
      await createMemberViaApi(down.url, adminKey, { full_name: 'Gina', username: 'gina', email: 'gina@example.com' });
      await waitUntil(async () => ((await mailCounters(down)).retried >= before.retried + 2 ? true : undefined), 10_000, 'two retries');
      // 2. The server comes back on the same port; the next retry delivers.
      const back = await TestSmtp.start(port);
      try {
        const invite = await back.waitFor('gina@example.com', /^Your Tally Account$/);
        expect(linkIn(invite, `${PUBLIC_URL}/reset/`)).toMatch(/^http:\/\/dashboard\.example\/reset\/[A-Za-z0-9_-]{43}$/);
        await down.mail.mailer.idle();
        const after = await mailCounters(down);
        expect(after.sent - before.sent).toBe(1);
        expect(after.failed - before.failed).toBe(0);
        expect(back.mailsTo('gina@example.com')).toHaveLength(1);
      } finally {
        await back.stop();
      }
    } finally {
      await down.close();
    }
  });

  it('SMTP never configured: the mail lands in the outbox folder and the log, and its link works', async () => {
    const none = await startSigninApi(tally);
    try {
      expect(none.config.mail.smtpUrl).toBeUndefined();
      await createMemberViaApi(none.url, adminKey, { full_name: 'Hal', username: 'hal', email: 'hal@example.com' });
      await none.mail.mailer.idle();
      const outbox = none.mail.mailer.outboxDir;
      expect(outbox).toBe(join(tally.config.dataDir, 'outbox'));
      const files = (await readdir(outbox)).filter((f) => f.includes('-invite-'));
      expect(files).toHaveLength(1);
      const raw = await readFile(join(outbox, files[0]!), 'utf8');
      const mail = parseMail(raw, []);
      expect(raw).toMatch(/^To: hal@example\.com$/m);
      expect(mail.subject).toBe('Your Tally Account');
      const line = none.logs.lines.find((l) => l.msg === 'mail written to the outbox' && l.to === 'hal@example.com');
      expect(line).toMatchObject({ kind: 'invite', reason: 'not-configured', file: join(outbox, files[0]!) });
      expect(String(line?.text)).toContain(linkIn(mail, `${PUBLIC_URL}/reset/`));
      const b = new Browser(none.url);
      const link = pathOf(linkIn(mail, `${PUBLIC_URL}/reset/`));
      expect((await b.post(link, { password: 'Hal#2pass', again: 'Hal#2pass', _csrf: csrfOf(await b.get(link)) })).location).toBe(
        '/login?message=reset.result',
      );
    } finally {
      await none.close();
    }
  });

  it('a mail that fails every attempt goes to the outbox as failed and is counted', async () => {
    const probe = await TestSmtp.start();
    await probe.stop();
    const dead = await startSigninApi(tally, { smtpUrl: `smtp://127.0.0.1:${probe.port}`, mail: { attempts: 2 } });
    try {
      const before = await mailCounters(dead);
      await createMemberViaApi(dead.url, adminKey, { full_name: 'Ida', username: 'ida', email: 'ida@example.com' });
      await dead.mail.mailer.idle();
      const after = await mailCounters(dead);
      expect([after.retried - before.retried, after.failed - before.failed, after.outbox - before.outbox, after.sent - before.sent]).toEqual([1, 1, 1, 0]);
      expect(dead.logs.lines.find((l) => l.msg === 'undelivered mail written to the outbox')).toMatchObject({
        to: 'ida@example.com',
        reason: 'delivery-failed',
      });
    } finally {
      await dead.close();
    }
  });
});

describe('notices', () => {
  it('notifyTaskFinished mails the creator of a completed or failed task a link to it, in their language', async () => {
    const dora = await tally.db.collection('members').findOne({ username: 'dora' });
    const frank = await tally.db.collection('members').findOne({ username: 'frank' });
    const tasks = tally.db.collection<FinishedTask & { status: string }>('long_tasks');
    await tasks.insertMany([
      {
        _id: 'a'.repeat(40),
        creator: frank!._id.toHexString(),
        report_name: 'Weekly users',
        name: 'drill',
        status: 'completed',
        view: '#/app1/drill/task/aaa',
      },
      { _id: 'b'.repeat(40), creator: dora!._id.toHexString(), name: 'Export', status: 'errored', errormsg: 'Task was killed during server restart.' },
      { _id: 'c'.repeat(40), creator: 'f'.repeat(24), name: 'Orphan', status: 'completed' },
    ]);
    const [done, failed, orphan] = await Promise.all(['a', 'b', 'c'].map((c) => tasks.findOne({ _id: c.repeat(40) })));
    expect(await notifyTaskFinished(s.mail, { task: done!, outcome: 'completed' })).toBe(true);
    expect(await notifyTaskFinished(s.mail, { task: failed!, outcome: 'errored' })).toBe(true);
    expect(await notifyTaskFinished(s.mail, { task: orphan!, outcome: 'completed' })).toBe(false);
    const ready = await smtp.waitFor('frank@example.com', /^Tally: Weekly users is ready$/);
    expect(ready.text).toContain(`${PUBLIC_URL}/dashboard#/app1/drill/task/aaa`);
    const german = await smtp.waitFor('dora@example.com', /^Tally: Export ist fehlgeschlagen$/);
    expect(german.text).toContain('Task was killed during server restart.');
    expect(german.text).toContain(`${PUBLIC_URL}/dashboard#/manage/tasks/${'b'.repeat(40)}`);
  });

  it('notifyError mails each global admin once per kind and window, however many incidents', async () => {
    await createMemberViaApi(s.url, adminKey, { full_name: 'Jo Admin', username: 'jo', email: 'jo@example.com', global_admin: true });
    const incident = { kind: 'dead-letters', title: '120 dead letters', detail: 'Consumer tally_core_v1_g0 crossed 100 dead letters.' };
    // 1. Twenty incidents at once: one claims the window.
    const sent = await Promise.all(Array.from({ length: 20 }, () => notifyError(s.mail, incident)));
    expect(sent.filter(Boolean)).toHaveLength(1);
    expect(await notifyError(s.mail, { ...incident, kind: 'rebuild-failed', title: 'Rebuild of core failed' })).toBe(true);
    await s.mail.mailer.idle();
    for (const to of [ADMIN.email, 'jo@example.com']) {
      await smtp.waitFor(to, /^Tally: Rebuild of core failed$/);
      expect(smtp.mailsTo(to).filter((m) => m.subject === 'Tally: 120 dead letters')).toHaveLength(1);
    }
    // 2. Windows count from the epoch and the clock starts on the hour: nothing more in this
    //    window; in the next one, the next incident mails again.
    s.advanceS(s.config.mail.errorIntervalMs / 1000 - 1);
    expect(await notifyError(s.mail, incident)).toBe(false);
    s.advanceS(1);
    expect(await notifyError(s.mail, incident)).toBe(true);
    await smtp.waitForNth('jo@example.com', /^Tally: 120 dead letters$/, 2);
    const mail = smtp.mailsTo('jo@example.com').find((m) => m.subject === 'Tally: 120 dead letters');
    expect(mail?.text).toContain('Consumer tally_core_v1_g0 crossed 100 dead letters.');
    expect(mail?.text).toContain('at most once every 60 minutes');
  });
});
