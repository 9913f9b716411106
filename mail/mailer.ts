// Mail delivery that never fails the request that asked for it and never loses a mail silently:
// SMTP through nodemailer with retries and exponential backoff on transient failures; with no
// SMTP configured, a failed delivery after the last attempt, or a shutdown mid-retry, the mail
// is written to `<dataDir>/outbox` as an .eml file and logged. Counters go to the store, so
// the pipeline status shows them for every process.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Db } from 'mongodb';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { countMail, type MailCounter } from '../projections/index.ts';
import type { MailConfig } from '../streams.config.ts';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** What the mail is (`invite`, `taskCompleted`, ...), for logs and outbox file names. */
  readonly kind: string;
}

export interface MailerOptions {
  readonly config: MailConfig;
  /** The data directory; the outbox is its `outbox/` folder. */
  readonly dataDir: string;
  readonly db: Db;
  readonly log: Logger;
}

/** Why a mail went to the outbox instead of a mail server. */
type OutboxReason = 'not-configured' | 'delivery-failed' | 'shutdown';

/** A permanent SMTP refusal (5xx: bad address, rejected content) is not retried; everything else is. */
function isPermanent(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'responseCode' in err ? err.responseCode : undefined;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export class Mailer {
  readonly outboxDir: string;
  private readonly transport: Transporter | undefined;
  private readonly composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; done: (go: boolean) => void }>();
  private closed = false;

  constructor(private readonly o: MailerOptions) {
    this.outboxDir = resolve(o.dataDir, 'outbox');
    // No pool: each attempt opens its own connection, so a mail server that restarts is simply reconnected.
    this.transport = o.config.smtpUrl === undefined ? undefined : nodemailer.createTransport(o.config.smtpUrl);
  }

  /** Queues a mail; it is delivered (or outboxed) in the background. Never throws. */
  send(mail: OutgoingMail): void {
    this.track(`deliver ${mail.kind}`, () => this.deliver(mail));
  }

  /** Runs background work that prepares mail (look-ups, links) after the request answered; failures are logged. */
  track(label: string, work: () => Promise<void>): void {
    const p = work().catch((err: unknown) => {
      // Decision: background mail work never fails a request; it is logged and counted instead.
      this.o.log.error({ err, work: label }, 'mail work failed');
      return this.count('failed');
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Resolves when no mail is in flight (tests, and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Stops retry waits (their mails go to the outbox), waits for the rest, closes the transport. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.done(false);
    }
    await this.idle();
    this.transport?.close();
  }

  private async deliver(mail: OutgoingMail): Promise<void> {
    await this.count('queued');
    if (this.transport === undefined) return this.toOutbox(mail, 'not-configured');
    const { attempts, retryBaseMs, retryMaxMs } = this.o.config;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.transport.sendMail({ from: this.o.config.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
        this.o.log.info({ to: mail.to, kind: mail.kind, attempt }, 'mail sent');
        return await this.count('sent');
      } catch (err) {
        if (attempt >= attempts || isPermanent(err) || this.closed) {
          this.o.log.error({ err, to: mail.to, kind: mail.kind, attempt }, 'mail delivery failed');
          await this.count('failed');
          return this.toOutbox(mail, this.closed ? 'shutdown' : 'delivery-failed');
        }
        const waitMs = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
        this.o.log.warn({ err, to: mail.to, kind: mail.kind, attempt, waitMs }, 'mail delivery retried');
        await this.count('retried');
        if (!(await this.wait(waitMs))) return this.toOutbox(mail, 'shutdown');
      }
    }
  }

  private wait(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((done) => {
      const entry = {
        timer: setTimeout(() => {
          this.waits.delete(entry);
          done(true);
        }, ms),
        done,
      };
      this.waits.add(entry);
    });
  }

  private async toOutbox(mail: OutgoingMail, reason: OutboxReason): Promise<void> {
    const composed = await this.composer.sendMail({ from: this.o.config.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.kind}-${randomBytes(4).toString('hex')}.eml`;
    const file = join(this.outboxDir, name);
    await mkdir(this.outboxDir, { recursive: true });
    await writeFile(file, composed.message);
    await this.count('outbox');
    // Without SMTP (development) the text is logged too, so its links can be followed from the log.
    const fields = { to: mail.to, kind: mail.kind, subject: mail.subject, file, reason, ...(reason === 'not-configured' ? { text: mail.text } : {}) };
    if (reason === 'not-configured') this.o.log.info(fields, 'mail written to the outbox');
    else this.o.log.error(fields, 'undelivered mail written to the outbox');
  }

  private async count(counter: MailCounter): Promise<void> {
    try {
      await countMail(this.o.db, counter);
    } catch (err) {
      // Decision: a counter that cannot be written is logged; the mail itself matters more.
      this.o.log.warn({ err, counter }, 'mail counter not written');
    }
  }
}
