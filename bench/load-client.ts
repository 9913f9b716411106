// The bench side of the load generator: forks bench/load-worker.ts (through tsx's loader) and
// sends it one job at a time. Separate process by design: on 2 cores the client still takes
// CPU, but not Tally's event loop, and a CPU profile of Tally shows only Tally.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LoadWorkerError } from './errors.ts';
import type { LoadOptions, LoadResult } from './http-load.ts';
import { workerReply, type RequestSourceSpec, type WorkerReply } from './load-protocol.ts';

export interface LoadClientOptions {
  /** When set, the child runs with --cpu-prof and writes its profile here on exit. */
  readonly cpuProfileDir?: string;
}

export class LoadClient {
  private nextJobId = 1;
  private pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw: unknown) => this.onMessage(raw));
    child.on('exit', (code, signal) => this.failAll(new LoadWorkerError(`load generator exited (code ${code}, signal ${signal})`)));
    child.on('error', (err) => this.failAll(new LoadWorkerError('load generator channel failed', { cause: err })));
  }

  /** Forks the load generator and waits until it is ready for jobs. */
  static async start(opts: LoadClientOptions = {}): Promise<LoadClient> {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const profiling = opts.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`];
    const child = fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), [], {
      execArgv: ['--import', tsx, ...profiling],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new LoadWorkerError(`load generator exited during start (code ${code})`)));
      child.once('message', () => resolve());
    });
    child.removeAllListeners('exit');
    child.removeAllListeners('error');
    return new LoadClient(child);
  }

  /** The child's process id (for CPU accounting). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs one job in the child; resolves with its measured window. */
  run(source: RequestSourceSpec, load: LoadOptions): Promise<LoadResult> {
    const jobId = this.nextJobId++;
    return new Promise((resolve, reject) => {
      this.pending.set(jobId, { resolve, reject });
      this.child.send({ type: 'run', jobId, load, source }, (err) => {
        if (err === null) return;
        this.pending.delete(jobId);
        reject(new LoadWorkerError('could not send a job to the load generator', { cause: err }));
      });
    });
  }

  /** Ends the child (closing the channel is its signal to exit) and waits for it. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }

  private onMessage(raw: unknown): void {
    const parsed = workerReply.safeParse(raw);
    if (!parsed.success) return this.failAll(new LoadWorkerError(`unexpected message from the load generator: ${parsed.error.message}`));
    this.settle(parsed.data);
  }

  private settle(msg: WorkerReply): void {
    if (msg.type === 'ready') return;
    const waiter = this.pending.get(msg.jobId);
    if (waiter === undefined) return this.failAll(new LoadWorkerError(`load generator: ${msg.type === 'error' ? msg.message : 'unknown job'}`));
    this.pending.delete(msg.jobId);
    if (msg.type === 'result') waiter.resolve(msg.result);
    else waiter.reject(new LoadWorkerError(`load job failed: ${msg.message}`));
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
