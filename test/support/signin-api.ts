// An API for sign-in and mail tests: on a started Tally's database and NATS, with a clock the
// test moves, mail to a given SMTP server (or none: the outbox), links on a public URL of its
// own, listening on a free port so tests use real HTTP.
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/index.ts';
import { createMailDeps, type MailDeps } from '../../mail/index.ts';
import { createLogger } from '../../scripts/logger.ts';
import { loadConfig, type TallyConfig } from '../../streams.config.ts';
import { adminApiKey, LogCapture, startTestTally, type TestTally } from './harness.ts';
import { TestSmtp } from './smtp.ts';

export const PUBLIC_URL = 'http://dashboard.example';

export interface SigninApi {
  readonly url: string;
  readonly api: FastifyInstance;
  readonly mail: MailDeps;
  readonly config: Readonly<TallyConfig>;
  readonly logs: LogCapture;
  /** Moves the API's clock forward. */
  advanceS(seconds: number): void;
  close(): Promise<void>;
}

export async function startSigninApi(tally: TestTally, o: { smtpUrl?: string; mail?: Partial<TallyConfig['mail']> } = {}): Promise<SigninApi> {
  let nowMs = Date.UTC(2030, 0, 1, 12);
  const clock = () => nowMs;
  const base = tally.config;
  const config = loadConfig({
    ...base,
    logLevel: 'info',
    api: { ...base.api, publicUrl: PUBLIC_URL },
    mail: { ...base.mail, retryBaseMs: 100, retryMaxMs: 400, ...(o.smtpUrl === undefined ? {} : { smtpUrl: o.smtpUrl }), ...o.mail },
  });
  const logs = new LogCapture();
  const log = createLogger(config, logs);
  const mail = createMailDeps({ config, db: tally.db, log, now: clock });
  const api = await buildApi({ config, db: tally.db, nc: tally.nc, js: tally.js, log, clock, mail });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const addr = api.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  return {
    url,
    api,
    mail,
    config,
    logs,
    advanceS: (seconds) => {
      nowMs += seconds * 1000;
    },
    close: async () => {
      await api.close();
      await mail.mailer.close();
    },
  };
}

/** What the sign-in and mail test files share: an API-only Tally, a real SMTP server, the sign-in API mailing to it, the admin's key. */
export interface SigninWorld {
  readonly tally: TestTally;
  readonly smtp: TestSmtp;
  readonly s: SigninApi;
  readonly adminKey: string;
}

export async function startSigninWorld(): Promise<SigninWorld> {
  const tally = await startTestTally({ roles: ['api'] });
  const smtp = await TestSmtp.start();
  const s = await startSigninApi(tally, { smtpUrl: smtp.url });
  return { tally, smtp, s, adminKey: await adminApiKey(s.url) };
}

/** Closes what startSigninWorld started, the API first. */
export async function stopSigninWorld(w: Omit<SigninWorld, 'adminKey'>): Promise<void> {
  await w.s.close();
  await w.smtp.stop();
  await w.tally.destroy();
}
