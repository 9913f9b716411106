// `npm run bench -- [scenario ...] [--quick|--full] [--profile <scenario>] [--seed N] [--out DIR]`
// The only bench file that reads the environment (NATS_URL / MONGODB_URL through loadConfig).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../scripts/logger.ts';
import { loadConfig } from '../streams.config.ts';
import { formatComparison } from './compare.ts';
import { BenchUsageError } from './errors.ts';
import type { BenchMode } from './modes.ts';
import { formatReport } from './report.ts';
import { runBench } from './run.ts';
import { scenarioNames } from './scenarios/index.ts';

const USAGE = `Usage: npm run bench -- [scenario ...] [options]

Scenarios: ${scenarioNames().join(', ')} (default: all)

  --quick             short windows, whole run under 5 minutes (default)
  --full              longer windows, steadier figures
  --smoke             seconds; only proves the harness works
  --profile <name>    write CPU profiles of that scenario's Tally phases
  --seed <n>          workload seed (default 1)
  --backlog <n>       envelopes in the processing and rebuild backlogs (default: the mode's)
  --out <dir>         where the JSON report goes (default bench/results)
  --verbose, -v       log each measured phase as it starts and ends
  --compare A B       compare the ratios of two result files (no run)

Servers: local nats-server and FerretDB under a temp dir, unless NATS_URL / MONGODB_URL are set.`;

function parseCli(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      smoke: { type: 'boolean' },
      profile: { type: 'string' },
      seed: { type: 'string', default: '1' },
      backlog: { type: 'string' },
      out: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      compare: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const modes = (['smoke', 'quick', 'full'] as const).filter((m) => values[m] === true);
  if (modes.length > 1) throw new BenchUsageError(`choose one of --smoke, --quick, --full`);
  const mode: BenchMode = modes[0] ?? 'quick';
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new BenchUsageError(`--seed must be an integer, got ${values.seed}`);
  const backlog = values.backlog === undefined ? undefined : Number(values.backlog);
  if (backlog !== undefined && !(Number.isInteger(backlog) && backlog > 0))
    throw new BenchUsageError(`--backlog must be a positive integer, got ${values.backlog}`);
  const outDir = resolve(values.out ?? join(dirname(fileURLToPath(import.meta.url)), 'results'));
  return {
    help: values.help === true,
    verbose: values.verbose === true,
    compare: values.compare === true,
    scenarios: positionals,
    mode,
    seed,
    outDir,
    profile: values.profile,
    ...(backlog === undefined ? {} : { backlog }),
  };
}

async function main(): Promise<number> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.compare) {
    const [a, b] = cli.scenarios;
    if (a === undefined || b === undefined) throw new BenchUsageError('--compare needs two result files');
    const { text, ok } = formatComparison(a, b);
    process.stdout.write(`${text}\n`);
    return ok ? 0 : 1;
  }
  const config = loadConfig(process.env, { fromEnv: true });
  // --verbose shows the bench's phase progress; Tally's own logs stay at warn (bench/tally.ts).
  const log = createLogger({ logLevel: cli.verbose ? 'info' : 'warn' });
  const { report, file } = await runBench({
    ...cli,
    log,
    ...(cli.profile !== undefined ? { profile: cli.profile } : {}),
    ...(config.natsUrl !== undefined ? { natsUrl: config.natsUrl } : {}),
    ...(config.mongodbUrl !== undefined ? { mongoUrl: config.mongodbUrl } : {}),
  });
  process.stdout.write(`\n${formatReport(report)}\n\nWrote ${file}\n`);
  return report.scenarios.some((s) => s.status === 'failed') || report.baselineFailures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof BenchUsageError) process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    else process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(err instanceof BenchUsageError ? 2 : 1);
  },
);
