// The load generator's own process (forked by load-client.ts), so request generation and the
// HTTP client never compete with Tally for the same event loop. It builds the deterministic
// workload from the seed it is sent, runs one job at a time, and exits with its parent.
import { runLoad, type HttpRequestSpec, type RequestSource } from './http-load.ts';
import { loadJob, type LoadJob, type RequestSourceSpec, type WorkerReply } from './load-protocol.ts';
import { toBulkBody, toQuery, Workload } from './workload.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
/** The Countly SDKs switch from GET to a form POST when the parameters pass ~2000 characters. */
const SDK_MAX_GET_CHARS = 2_000;

function singleRequest(query: string): HttpRequestSpec {
  if (query.length < SDK_MAX_GET_CHARS) return { method: 'GET', path: `/i?${query}`, items: 1 };
  return { method: 'POST', path: '/i', headers: FORM, body: query, items: 1 };
}

function buildSource(spec: RequestSourceSpec): RequestSource {
  if (spec.kind === 'get-paths') {
    const paths = spec.paths;
    let n = 0;
    return () => ({ method: 'GET', path: paths[n++ % paths.length] ?? '/', items: 1, read: true });
  }
  const workload = new Workload(spec.workload);
  if (spec.kind === 'i-get') {
    return () => singleRequest(toQuery(workload.next()));
  }
  const n = spec.itemsPerRequest;
  return (): HttpRequestSpec => ({ method: 'POST', path: '/i/bulk', headers: FORM, body: toBulkBody(workload.nextBatch(n)), items: n });
}

function reply(message: WorkerReply): void {
  process.send?.(message);
}

async function runJob(job: LoadJob): Promise<void> {
  try {
    const result = await runLoad(buildSource(job.source), job.load);
    reply({ type: 'result', jobId: job.jobId, result });
  } catch (err) {
    // Reported to the parent, which fails the figure with this message.
    reply({ type: 'error', jobId: job.jobId, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
}

process.on('message', (raw: unknown) => {
  const parsed = loadJob.safeParse(raw);
  if (!parsed.success) {
    reply({ type: 'error', jobId: -1, message: `bad job: ${parsed.error.message}` });
    return;
  }
  void runJob(parsed.data);
});
// The parent holds the IPC channel: when it goes, so do we (and --cpu-prof is written on exit).
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
