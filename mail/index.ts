// Public surface of mail/: delivery (SMTP, retries, outbox), the localized messages and the notices.
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { TallyConfig } from '../streams.config.ts';
import { loadCatalogues } from './catalogue.ts';
import { Mailer } from './mailer.ts';
import type { MailDeps } from './notices.ts';

export { Mailer, type OutgoingMail } from './mailer.ts';
export { escapeHtml, loadCatalogues, pickLanguage, renderMessage, MESSAGE_KEYS, type Catalogue, type MessageKey } from './catalogue.ts';
export {
  mailMember,
  notifyError,
  notifyTaskFinished,
  publicLink,
  sendAccountLocked,
  sendInvitation,
  sendPasswordChanged,
  sendPasswordReset,
  type FinishedTask,
  type Incident,
  type MailDeps,
} from './notices.ts';

/** Mail for one process: a mailer on the configured transport and the catalogues. Close the mailer on shutdown. */
export function createMailDeps(o: { config: Readonly<TallyConfig>; db: Db; log: Logger; now?: () => number }): MailDeps {
  const log = o.log.child({ component: 'mail' });
  return {
    db: o.db,
    config: o.config,
    log,
    now: o.now ?? Date.now,
    catalogues: loadCatalogues(),
    mailer: new Mailer({ config: o.config.mail, dataDir: o.config.dataDir, db: o.db, log }),
  };
}
