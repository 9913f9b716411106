// Incidents of the processors reach global admins by mail: events that cannot be decoded are
// dead-lettered, and when a group's dead letters cross `mail.deadLetterThreshold` the admin
// gets one error notice (through a real SMTP server).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { TestSmtp } from './support/smtp.ts';
import { eventSubject } from '../streams.config.ts';

let tally: TestTally;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await TestSmtp.start();
  tally = await startTestTally({ config: testConfig({ mail: { smtpUrl: smtp.url, deadLetterThreshold: 2 } }) });
});
afterAll(async () => {
  await tally.destroy();
  await smtp.stop();
});

it('dead letters crossing the threshold mail the global admin', async () => {
  const subject = eventSubject(tally.config.streams, 'a'.repeat(24), 0);
  for (let i = 0; i < 2; i++) await tally.js.publish(subject, new TextEncoder().encode(`{not json ${i}`));
  const notice = await smtp.waitFor(ADMIN.email, /^Tally: 2 dead letters on /, 20_000);
  expect(notice.text).toContain('threshold 2');
  expect(notice.text).toContain('http://127.0.0.1:3001/o/system/pipeline');
});
