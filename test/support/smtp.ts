// A real SMTP server (`smtp-server`) for mail tests, with what it received decoded: recipients,
// subject, text and HTML parts (quoted-printable, base64 and encoded-word headers undone).
import { SMTPServer } from 'smtp-server';
import { waitUntil } from './wait.ts';

export interface ReceivedMail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

function decodeQuotedPrintable(body: string): Buffer {
  const soft = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    const hex = soft.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c ?? '', 'utf8'));
  }
  return Buffer.from(bytes);
}

/** Undoes RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')).toString('utf8'),
    );
}

function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const enc = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body).toString('utf8');
  return body;
}

/** Text and HTML of a message (single part or multipart/alternative). */
export function parseMail(raw: string, to: readonly string[]): ReceivedMail {
  const { headers, body } = splitPart(raw);
  const type = headers.get('content-type') ?? 'text/plain';
  const parts: { type: string; content: string }[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary === undefined) parts.push({ type, content: decodeBody(headers, body) });
  else {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = splitPart(chunk.replace(/^\r?\n/, ''));
      parts.push({ type: part.headers.get('content-type') ?? 'text/plain', content: decodeBody(part.headers, part.body) });
    }
  }
  return {
    to,
    subject: decodeWords(headers.get('subject') ?? ''),
    text: parts.find((p) => p.type.startsWith('text/plain'))?.content ?? '',
    html: parts.find((p) => p.type.startsWith('text/html'))?.content ?? '',
  };
}

/** An SMTP server on 127.0.0.1 (no TLS, no auth) that keeps every message it accepts. */
export class TestSmtp {
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    readonly received: ReceivedMail[],
  ) {}

  /** Listens on `port` (0: a free one); `received` lets a restarted server keep one list. */
  static async start(port = 0, received: ReceivedMail[] = []): Promise<TestSmtp> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(
            parseMail(
              Buffer.concat(chunks).toString('utf8'),
              session.envelope.rcptTo.map((r) => r.address),
            ),
          );
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.server.address();
    return new TestSmtp(server, typeof addr === 'object' && addr !== null ? addr.port : port, received);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The first received mail to `to` whose subject matches, waiting for it. */
  waitFor(to: string, subject: RegExp, timeoutMs = 10_000): Promise<ReceivedMail> {
    return waitUntil(
      async () => Promise.resolve(this.received.find((m) => m.to.includes(to) && subject.test(m.subject))),
      timeoutMs,
      `mail to ${to} ${String(subject)}`,
    );
  }

  /** The `n`th (1-based) received mail to `to` whose subject matches, waiting for it. */
  waitForNth(to: string, subject: RegExp, n: number, timeoutMs = 10_000): Promise<ReceivedMail> {
    return waitUntil(
      async () => Promise.resolve(this.received.filter((m) => m.to.includes(to) && subject.test(m.subject))[n - 1]),
      timeoutMs,
      `mail ${n} to ${to} ${String(subject)}`,
    );
  }

  /** Received mails to `to`. */
  mailsTo(to: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(to));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The first link in a mail's text that starts with `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const found = mail.text.split(/\s+/).find((w) => w.startsWith(prefix));
  if (found === undefined) throw new Error(`no link starting with ${prefix} in: ${mail.text}`);
  return found;
}
