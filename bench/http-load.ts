// HTTP load through undici's keep-alive Pool: flat out (a fixed number of requests in flight)
// or open-loop at a fixed rate. Only completions inside the measured window count; latency
// at a fixed rate is taken from the intended send time, so a stalled server cannot hide its
// queueing delay (no coordinated omission).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { createHistogram, encodeHistogram, recordMs, type Histogram } from './histogram.ts';

export interface HttpRequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Countly requests carried (1 for /i, N for an /i/bulk call). */
  readonly items: number;
  /** The answer is read data (/o), not an ingest result, so it is not scanned for warnings. */
  readonly read?: boolean;
}

export type RequestSource = () => HttpRequestSpec;

export interface LoadOptions {
  /** `http://127.0.0.1:<port>`: bench traffic stays on the loopback interface. */
  readonly origin: string;
  /** Keep-alive connections; flat out, also the number of requests in flight. */
  readonly connections: number;
  /** Traffic sent before the window opens (JIT, caches, connection setup), ms. */
  readonly warmupMs: number;
  /** Length of the measured window, ms. */
  readonly durationMs: number;
  /** Cap on requests sent during the warm-up, and again during the window. */
  readonly maxRequests: number;
  /** Requests per second; 0 sends flat out. */
  readonly ratePerS: number;
  /** Longest wait for response headers or body, ms. */
  readonly requestTimeoutMs: number;
}

export interface LoadResult {
  /** Requests sent, warm-up included. */
  readonly sent: number;
  /** Completed inside the window with status 200. */
  readonly ok: number;
  /** Completed inside the window with another status or a transport error. */
  readonly failed: number;
  /** Countly requests carried by the `ok` calls. */
  readonly okItems: number;
  /** `ok` answers that named dropped input (`warnings`) or a duplicate (`info`). */
  readonly warned: number;
  readonly firstWarning?: string;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly firstError?: string;
  /** Measured window actually covered, ms (shorter when maxRequests ran out first). */
  readonly measuredMs: number;
  readonly okPerS: number;
  readonly okItemsPerS: number;
  /** Latency of the window's completions (all statuses), HdrHistogram compressed base64. */
  readonly histogram: string;
}

class Window {
  readonly startedAtMs = performance.now();
  readonly opensAtMs: number;
  readonly closesAtMs: number;
  readonly histogram: Histogram = createHistogram();
  readonly statusCounts: Record<string, number> = {};
  sent = 0;
  private sentBeforeWindow = 0;
  ok = 0;
  failed = 0;
  okItems = 0;
  warned = 0;
  lastCompletionMs = 0;
  firstError: string | undefined;
  firstWarning: string | undefined;

  constructor(private readonly opts: LoadOptions) {
    this.opensAtMs = this.startedAtMs + opts.warmupMs;
    this.closesAtMs = this.opensAtMs + opts.durationMs;
  }

  /** The cap applies to warm-up and window separately, so a fast server cannot spend it all warming up. */
  canSend(): boolean {
    const now = performance.now();
    if (now >= this.closesAtMs) return false;
    const spent = now < this.opensAtMs ? this.sent : this.sent - this.sentBeforeWindow;
    return spent < this.opts.maxRequests;
  }

  markSent(): void {
    this.sent++;
    if (performance.now() < this.opensAtMs) this.sentBeforeWindow++;
  }

  /** Records one completion; `body` is the answer text (or the transport error). */
  complete(startMs: number, status: string, items: number, body: string, read = false): void {
    const endMs = performance.now();
    // A window that closed with nothing in it takes its first later completion: an answer slower
    // than the whole window (a dashboard on a loaded machine in smoke mode) is still measured.
    const late = endMs > this.closesAtMs && this.ok + this.failed > 0;
    if (endMs < this.opensAtMs || late) return;
    this.lastCompletionMs = endMs;
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
    recordMs(this.histogram, endMs - startMs);
    if (status !== '200') {
      this.failed++;
      this.firstError ??= `${status} ${body.slice(0, 300)}`;
      return;
    }
    this.ok++;
    this.okItems += items;
    // Tally answers 200 with `warnings` when it dropped part of a request; the bench's traffic
    // should never trigger that, so it is counted and shown rather than silently accepted.
    if (!read && (body.includes('"warnings"') || body.includes('"info"'))) {
      this.warned++;
      this.firstWarning ??= body.slice(0, 300);
    }
  }

  result(): LoadResult {
    const measuredMs = Math.max(1, Math.min(this.closesAtMs, this.lastCompletionMs) - this.opensAtMs);
    return {
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      okItems: this.okItems,
      warned: this.warned,
      ...(this.firstWarning !== undefined ? { firstWarning: this.firstWarning } : {}),
      statusCounts: this.statusCounts,
      ...(this.firstError !== undefined ? { firstError: this.firstError } : {}),
      measuredMs,
      okPerS: (this.ok * 1000) / measuredMs,
      okItemsPerS: (this.okItems * 1000) / measuredMs,
      histogram: encodeHistogram(this.histogram),
    };
  }
}

async function send(pool: Pool, req: HttpRequestSpec, w: Window, startMs: number): Promise<void> {
  try {
    const res = await pool.request({ method: req.method, path: req.path, headers: req.headers, body: req.body });
    w.complete(startMs, String(res.statusCode), req.items, await res.body.text(), req.read);
  } catch (err) {
    // A transport failure is a measured outcome (counted as failed), not a reason to stop.
    w.complete(startMs, 'error', req.items, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
}

async function flatOut(pool: Pool, source: RequestSource, w: Window, connections: number): Promise<void> {
  const loop = async (): Promise<void> => {
    while (w.canSend()) {
      const req = source();
      w.markSent();
      await send(pool, req, w, performance.now());
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
}

async function fixedRate(pool: Pool, source: RequestSource, w: Window, opts: LoadOptions): Promise<void> {
  const intervalMs = 1000 / opts.ratePerS;
  const inFlight = new Set<Promise<void>>();
  while (w.canSend()) {
    const dueCount = Math.floor((performance.now() - w.startedAtMs) / intervalMs) + 1;
    // Past the in-flight cap, sends wait; their latency still counts from the intended time.
    while (w.sent < dueCount && inFlight.size < opts.connections && w.canSend()) {
      const p = send(pool, source(), w, w.startedAtMs + w.sent * intervalMs);
      w.markSent();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
}

/** Runs one load job to completion and reports the measured window. */
export async function runLoad(source: RequestSource, opts: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(opts.origin, {
    connections: opts.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: opts.requestTimeoutMs,
    bodyTimeout: opts.requestTimeoutMs,
  });
  const w = new Window(opts);
  try {
    if (opts.ratePerS > 0) await fixedRate(pool, source, w, opts);
    else await flatOut(pool, source, w, opts.connections);
  } finally {
    await pool.close();
  }
  return w.result();
}
