// Export: `/o/export/db` of a large app-users collection as CSV and as XLSX. The collection is
// written with the raw driver, then a Tally API runs in a child process of its own (so its RSS
// is the export's and nothing else's) and one client reads each export to the end. Figures:
// rows/s next to a raw-driver cursor over the same documents, time to first byte, and the
// child's peak RSS during each export, sampled from /proc (goal: ≤ 200 MB for both formats).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import type { BenchContext, Scenario } from '../context.ts';
import { BenchSetupError } from '../errors.ts';
import { rateFigure, type BaselineFigure, type Figure } from '../figures.ts';
import type { BenchTally } from '../tally.ts';

const SCENARIO = 'export';
const INSERT_BATCH = 5_000;
const RSS_SAMPLE_MS = 20;
const MB = 1024 * 1024;
const TALLY_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tally.mjs');

/** One app user as Countly stores it, roughly: nested custom properties, a list, numbers, text. */
function appUser(i: number): Record<string, unknown> {
  return {
    _id: `u${i.toString(16).padStart(10, '0')}`,
    uid: i.toString(36),
    did: `device-${i}`,
    sc: i % 50,
    ls: 1_700_000_000 + i,
    name: `User ${i} "quoted", ü`,
    custom: { plan: i % 3 === 0 ? 'pro' : 'free', seats: { used: i % 7 } },
    tags: ['a', `t${i % 10}`],
    d: i % 2 === 0 ? 'iPhone' : 'Pixel',
  };
}

async function seed(mongoUrl: string, db: string, collection: string, rows: number): Promise<void> {
  const client = new MongoClient(mongoUrl);
  try {
    const col = client.db(db).collection(collection);
    for (let at = 0; at < rows; at += INSERT_BATCH) {
      const docs = Array.from({ length: Math.min(INSERT_BATCH, rows - at) }, (_, k) => appUser(at + k));
      await col.insertMany(docs, { ordered: false });
    }
  } finally {
    await client.close();
  }
}

/** The raw driver reading the same documents with the same batch size, docs/s. */
async function cursorBaseline(mongoUrl: string, db: string, collection: string): Promise<BaselineFigure> {
  const client = new MongoClient(mongoUrl);
  try {
    const started = performance.now();
    let n = 0;
    for await (const doc of client.db(db).collection(collection).find({}, { batchSize: 500 })) if (doc !== null) n++;
    const s = (performance.now() - started) / 1000;
    return { id: 'mongo.cursor.export', label: `raw driver: find() over ${n} documents, batches of 500`, value: n / s, unit: 'docs/s' };
  } finally {
    await client.close();
  }
}

interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
}

/** `tally start --role api` on the scenario's database, with the export limit raised to `rows`. */
function startApiChild(tally: BenchTally, rows: number): Promise<Child> {
  const proc = spawn(process.execPath, [TALLY_BIN, 'start', '--role', 'api', '--exit-with-parent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NATS_URL: tally.config.natsUrl,
      MONGODB_URL: tally.mongoUrl,
      MONGODB_DB: tally.config.mongodbDb,
      TALLY_STREAM_PREFIX: tally.config.streams.prefix,
      DATA_DIR: tally.config.dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      TALLY_API_EXPORT_LIMIT: String(rows),
    },
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /Tally is running \([^)]*\) at (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve({ proc, url: m[1] });
    });
    proc.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    proc.on('exit', (code) => reject(new BenchSetupError(`export API child exited with ${code}: ${err.trim().slice(0, 500)}`)));
  });
}

/** Resident set size of a process, bytes (Linux /proc); 0 when unavailable. */
function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
  } catch {
    // Not Linux, or the process is gone: no RSS figure.
    return 0;
  }
}

interface ExportRun {
  readonly ttfbMs: number;
  readonly durationMs: number;
  readonly bytes: number;
  readonly lines: number;
  readonly peakRss: number;
  readonly startRss: number;
}

/** Reads one export to the end while sampling the child's RSS. */
async function runExport(child: Child, query: string): Promise<ExportRun> {
  const pid = child.proc.pid ?? 0;
  const startRss = rssBytes(pid);
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid))), RSS_SAMPLE_MS);
  try {
    const started = performance.now();
    const res = await fetch(`${child.url}/o/export/db?${query}`);
    if (res.status !== 200 || res.body === null) throw new BenchSetupError(`export answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    let ttfbMs = 0;
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body) {
      if (bytes === 0) ttfbMs = performance.now() - started;
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
    }
    return { ttfbMs, durationMs: performance.now() - started, bytes, lines, peakRss: Math.max(peakRss, rssBytes(pid)), startRss };
  } finally {
    clearInterval(sampler);
  }
}

async function measure(ctx: BenchContext, child: Child, query: string, type: 'csv' | 'xlsx', rows: number, baseline: BaselineFigure): Promise<Figure[]> {
  const r = await ctx.tallyPhase(`export ${type}`, () => runExport(child, `${query}&type=${type}`));
  const run = r.result;
  // CSV: one line per row plus the header (the seeded documents hold no line breaks).
  if (type === 'csv' && run.lines !== rows + 1) throw new BenchSetupError(`CSV export has ${run.lines} lines, expected ${rows + 1}`);
  const s = run.durationMs / 1000;
  const facts = `${rows} rows, ${(run.bytes / MB).toFixed(1)} MB in ${s.toFixed(1)} s; time to first byte ${Math.round(run.ttfbMs)} ms; Tally (api child) RSS ${(run.startRss / MB).toFixed(0)} MB before, peak ${(run.peakRss / MB).toFixed(0)} MB; ${r.note}`;
  return [
    rateFigure({
      id: `export.${type}.rate`,
      scenario: SCENARIO,
      label: `/o/export/db type=${type}, ${rows} rows`,
      value: rows / s,
      unit: 'rows/s',
      baseline,
      phase: { cpu: r.cpu, loopDelay: r.loopDelay },
      note: facts,
    }),
    {
      id: `export.${type}.peakRssMb`,
      scenario: SCENARIO,
      label: `peak RSS of the Tally process, ${type} export`,
      value: run.peakRss / MB,
      unit: 'MB',
      note: facts,
    },
    { id: `export.${type}.ttfb`, scenario: SCENARIO, label: `time to first byte, ${type} export`, value: run.ttfbMs, unit: 'ms' },
  ];
}

export const exportScenario: Scenario = {
  name: SCENARIO,
  description: '/o/export/db of a large collection as CSV and XLSX: rows/s vs a raw cursor, time to first byte, peak RSS of the Tally process',
  async run(ctx) {
    const rows = ctx.budget.exportRows;
    const tally = await ctx.startTally([]);
    let child: Child | undefined;
    try {
      const app = tally.apps[0];
      if (app === undefined) throw new BenchSetupError('no apps');
      const collection = `app_users${app.id}`;
      await seed(tally.mongoUrl, tally.config.mongodbDb, collection, rows);
      const baseline = await cursorBaseline(tally.mongoUrl, tally.config.mongodbDb, collection);
      child = await startApiChild(tally, rows);
      const query = `api_key=${tally.apiKey}&collection=${collection}&limit=${rows}`;
      return [...(await measure(ctx, child, query, 'csv', rows, baseline)), ...(await measure(ctx, child, query, 'xlsx', rows, baseline))];
    } finally {
      child?.proc.kill('SIGTERM');
      await tally.destroy();
    }
  },
};
