// Runs a benchmark: brings up the servers (managed under a temp dir, or the given URLs), the
// load generator and the baselines, runs the chosen scenarios, and writes the report. Used by
// bench/main.ts and by the smoke test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ensureServiceBinaries } from '../scripts/install.ts';
import { startFerret, startNats, type ManagedService } from '../scripts/services.ts';
import { Baselines } from './baselines.ts';
import type { BenchContext, Scenario } from './context.ts';
import { childPid, type ProcessProbe } from './cpu.ts';
import { BenchUsageError, ScenarioNotImplementedError } from './errors.ts';
import type { Figure } from './figures.ts';
import { judgeGoals } from './goals.ts';
import { LoadClient } from './load-client.ts';
import { machineFacts } from './machine.ts';
import { BUDGETS, type BenchMode, type Budget } from './modes.ts';
import { PhaseRunner } from './phase.ts';
import { writeReport, type BenchReport, type ScenarioOutcome } from './report.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { seededApps, startBenchTally } from './tally.ts';
import { deriveSeed, Workload } from './workload.ts';

export interface BenchOptions {
  /** Scenario names; empty runs all. */
  readonly scenarios: readonly string[];
  readonly mode: BenchMode;
  readonly seed: number;
  /** Where the JSON report (and profiles) go. */
  readonly outDir: string;
  /** Scenario whose Tally phases are CPU-profiled. */
  readonly profile?: string;
  /** Envelopes in the processing and rebuild backlogs instead of the mode's `foldEnvelopes`. */
  readonly backlog?: number;
  /** Existing servers; a missing one is started locally under a temp dir. */
  readonly natsUrl?: string;
  readonly mongoUrl?: string;
  readonly log: Logger;
}

interface Servers {
  readonly natsUrl: string;
  readonly mongoUrl: string;
  readonly dataDir: string;
  readonly managed: readonly ManagedService[];
}

function selectScenarios(opts: BenchOptions): Scenario[] {
  const wanted = opts.scenarios.length > 0 ? [...opts.scenarios] : opts.profile !== undefined ? [opts.profile] : SCENARIOS.map((s) => s.name);
  if (opts.profile !== undefined && !wanted.includes(opts.profile)) wanted.push(opts.profile);
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) throw new BenchUsageError(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return SCENARIOS.filter((s) => wanted.includes(s.name));
}

async function startServers(opts: BenchOptions): Promise<Servers> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-bench-'));
  const managed: ManagedService[] = [];
  try {
    if (opts.natsUrl === undefined || opts.mongoUrl === undefined) ensureServiceBinaries(opts.log);
    const nats = opts.natsUrl === undefined ? await startNats(dataDir, 0) : undefined;
    if (nats !== undefined) managed.push(nats);
    const mongo = opts.mongoUrl === undefined ? await startFerret(dataDir, 0) : undefined;
    if (mongo !== undefined) managed.push(mongo);
    return { natsUrl: opts.natsUrl ?? nats?.url ?? '', mongoUrl: opts.mongoUrl ?? mongo?.url ?? '', dataDir, managed };
  } catch (err) {
    await stopServers({ natsUrl: '', mongoUrl: '', dataDir, managed });
    throw err;
  }
}

async function stopServers(s: Servers): Promise<void> {
  await Promise.all(s.managed.map((m) => m.stop()));
  rmSync(s.dataDir, { recursive: true, force: true });
}

function probes(load: LoadClient, servers: Servers): ProcessProbe[] {
  const out: ProcessProbe[] = [{ name: 'main', pid: process.pid }];
  if (load.pid !== undefined) out.push({ name: 'load-gen', pid: load.pid });
  for (const m of servers.managed) {
    const pid = m.pid === undefined ? undefined : childPid(m.pid);
    if (pid !== undefined) out.push({ name: m.name, pid });
  }
  return out;
}

async function runScenario(scenario: Scenario, ctx: BenchContext, log: Logger): Promise<{ outcome: ScenarioOutcome; figures: Figure[] }> {
  const startedMs = performance.now();
  const took = () => Math.round(performance.now() - startedMs);
  try {
    const figures = await scenario.run(ctx);
    return { outcome: { name: scenario.name, status: 'ok', durationMs: took() }, figures };
  } catch (err) {
    if (err instanceof ScenarioNotImplementedError) return { outcome: { name: scenario.name, status: 'not implemented yet', durationMs: took() }, figures: [] };
    // Decision: one failed scenario is reported (and fails the run's exit code), the rest still run.
    log.error({ err, scenario: scenario.name }, 'bench scenario failed');
    return { outcome: { name: scenario.name, status: 'failed', durationMs: took(), error: err instanceof Error ? err.message : String(err) }, figures: [] };
  }
}

/** Everything one run holds open. */
interface Run {
  readonly opts: BenchOptions;
  readonly startedAt: Date;
  readonly anchorMs: number;
  readonly servers: Servers;
  readonly load: LoadClient;
  readonly phase: PhaseRunner;
  readonly baselines: Baselines;
}

/** The mode's budget, with `--backlog` applied. */
function budgetOf(opts: BenchOptions): Budget {
  const budget = BUDGETS[opts.mode];
  return opts.backlog === undefined ? budget : { ...budget, foldEnvelopes: opts.backlog };
}

async function openRun(opts: BenchOptions): Promise<Run> {
  const startedAt = new Date();
  const anchorMs = Math.floor(startedAt.getTime() / 3_600_000) * 3_600_000;
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const servers = await startServers(opts);
  const load = await LoadClient.start(opts.profile === undefined ? {} : { cpuProfileDir: join(opts.outDir, `${stamp}-load-gen`) }).catch(
    async (err: unknown) => {
      await stopServers(servers);
      throw err;
    },
  );
  const phase = new PhaseRunner(opts.log, () => probes(load, servers), opts.profile === undefined ? undefined : { dir: opts.outDir, stamp });
  const baselines = new Baselines({ ...servers, budget: budgetOf(opts), seed: opts.seed, anchorMs, apps: seededApps(opts.seed), load, phase });
  return { opts, startedAt, anchorMs, servers, load, phase, baselines };
}

async function closeRun(run: Run): Promise<void> {
  await run.baselines.close(run.opts.log);
  await run.load.close();
  await stopServers(run.servers);
}

function scenarioContext(run: Run, scenario: Scenario): BenchContext {
  const { opts, anchorMs, servers, phase } = run;
  return {
    mode: opts.mode,
    budget: budgetOf(opts),
    seed: opts.seed,
    anchorMs,
    log: opts.log,
    load: run.load,
    baselines: run.baselines,
    startTally: (roles, extra) => startBenchTally({ ...servers, log: opts.log, roles, seed: opts.seed, ...extra }),
    tallyPhase: (label, fn) => phase.run(label, fn, { profile: opts.profile === scenario.name }),
    workload: (apps, salt) => new Workload({ seed: deriveSeed(opts.seed, 1_000 + salt), anchorMs, apps }),
  };
}

async function assembleReport(run: Run, outcomes: ScenarioOutcome[], figures: Figure[]): Promise<BenchReport> {
  const managed = run.servers.managed.length === 2;
  return {
    startedAt: run.startedAt.toISOString(),
    mode: run.opts.mode,
    seed: run.opts.seed,
    anchorMs: run.anchorMs,
    durationMs: Date.now() - run.startedAt.getTime(),
    machine: machineFacts(managed ? 'managed' : 'external', managed ? {} : await run.baselines.serverVersions()),
    scenarios: outcomes,
    figures,
    baselines: run.baselines.measured(),
    baselineFailures: run.baselines.failures,
    goals: judgeGoals(figures),
    profiles: run.phase.profiles,
    noisyPhases: run.phase.noisy,
  };
}

/** Runs the benchmark and writes `<outDir>/<timestamp>.json`. */
export async function runBench(opts: BenchOptions): Promise<{ report: BenchReport; file: string }> {
  const selected = selectScenarios(opts);
  const run = await openRun(opts);
  try {
    const outcomes: ScenarioOutcome[] = [];
    const figures: Figure[] = [];
    for (const scenario of selected) {
      const r = await runScenario(scenario, scenarioContext(run, scenario), opts.log);
      outcomes.push(r.outcome);
      figures.push(...r.figures);
    }
    // Baselines no scenario asked for are still measured, so the table is always complete.
    await run.baselines.measureAll(opts.log);
    const report = await assembleReport(run, outcomes, figures);
    return { report, file: writeReport(report, opts.outDir) };
  } finally {
    await closeRun(run);
  }
}
