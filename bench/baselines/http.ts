// The HTTP ceiling: a bare fastify server on the same machine answering /i and /i/bulk with
// Countly's success body and nothing else, hit by the same client with the same requests.
import fastify from 'fastify';

export interface BareServer {
  readonly origin: string;
  close(): Promise<void>;
}

const SUCCESS = '{"result":"Success"}';

export async function startBareServer(): Promise<BareServer> {
  const app = fastify({ logger: false, bodyLimit: 1_048_576 });
  // Read the form body as text (same bytes over the wire as Tally gets), parse nothing.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.get('/i', (_req, reply) => reply.type('application/json; charset=utf-8').send(SUCCESS));
  app.post('/i', (_req, reply) => reply.type('application/json; charset=utf-8').send(SUCCESS));
  app.post('/i/bulk', (_req, reply) => reply.type('application/json; charset=utf-8').send(SUCCESS));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
}
