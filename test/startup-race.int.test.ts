// Start-up race: four processes with different roles start at the same instant against a fresh
// database and stream prefix, all with TALLY_ADMIN_* set. Every start-up write (indexes, streams,
// consumers, KV bucket, the first admin) must converge: all four come up, and one admin exists.
import { spawn, type ChildProcess } from 'node:child_process';
import { MongoClient } from 'mongodb';
import { afterAll, expect, it } from 'vitest';
import { ADMIN, childEnv, dropAll, testConfig } from './support/harness.ts';
import { waitUntil } from './support/wait.ts';

const config = testConfig();
const ROLE_SETS = ['ingest', 'api', 'processor', 'ingest,api'] as const;
const children: ChildProcess[] = [];

interface Started {
  readonly url: string;
}

/** Resolves with the URL the child prints once it listens; rejects with its stderr if it exits first. */
function startChild(roles: string): Promise<Started> {
  const child = spawn(process.execPath, ['bin/tally.mjs', 'start', '--role', roles, '--exit-with-parent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(config, { TALLY_ADMIN_USERNAME: ADMIN.username, TALLY_ADMIN_PASSWORD: ADMIN.password, TALLY_ADMIN_EMAIL: ADMIN.email }),
  });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /Tally is running \([^)]*\) at (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve({ url: m[1] });
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('exit', (code) => reject(new Error(`--role ${roles} exited with ${code}: ${err.trim()}`)));
  });
}

afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())))),
  );
  await dropAll(config);
});

it('processes starting at the same instant converge on one admin and all come up', { timeout: 120_000 }, async () => {
  // 1. All four spawn in the same tick, against a database and prefix nobody has touched.
  const started = await Promise.all(ROLE_SETS.map((roles) => startChild(roles)));
  // 2. Each one answers its health check.
  for (const { url } of started) {
    const status = await waitUntil(
      async () => {
        const res = await fetch(`${url}/healthz`);
        return res.status === 200 ? res.status : undefined;
      },
      20_000,
      `${url}/healthz`,
    );
    expect(status).toBe(200);
  }
  // 3. Exactly one admin was created.
  const mongo = new MongoClient(config.mongodbUrl ?? '');
  try {
    const admins = await mongo.db(config.mongodbDb).collection('members').countDocuments({ username: ADMIN.username });
    expect(admins).toBe(1);
  } finally {
    await mongo.close();
  }
});
