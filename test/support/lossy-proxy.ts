// An HTTP proxy in front of Tally that can lose answers: the request reaches Tally (and is stored),
// but the client sees a dropped connection and retries. This is the partial failure that
// deterministic event ids exist for.
import { createServer, type IncomingMessage } from 'node:http';

export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

export interface LossyProxy {
  readonly url: string;
  /** Requests whose answer was dropped. */
  readonly dropped: ProxiedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Forwards everything to `target`; answers for which `drop` returns true are never delivered. */
export async function startLossyProxy(target: string, drop: (r: ProxiedRequest) => boolean): Promise<LossyProxy> {
  const dropped: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const seen: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', body: await readBody(req) };
      const headers: Record<string, string> = {};
      if (req.headers['content-type'] !== undefined) headers['content-type'] = req.headers['content-type'];
      const answer = await fetch(`${target}${seen.url}`, { method: seen.method, headers, body: seen.method === 'GET' ? undefined : seen.body });
      const text = await answer.text();
      if (drop(seen)) {
        dropped.push(seen);
        res.socket?.destroy();
        return;
      }
      // Tally's own headers (CORS included) pass through; framing headers are Node's business.
      const passed = [...answer.headers].filter(([name]) => !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name));
      res.writeHead(answer.status, Object.fromEntries(passed));
      res.end(text);
    })().catch(() => {
      // Decision: an unreachable Tally looks to the client like a dropped connection.
      res.socket?.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    dropped,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
