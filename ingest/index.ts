// Public surface of ingest/: the Countly HTTP edge (shared with the API) and the publisher.
export * from './errors.ts';
export { createHttpServer, requestParams, sendJsonText, sendMessage, escapeMessageValue, type HttpServerOptions } from './http.ts';
export { publishAll, publishEnvelope, type PublishOptions } from './publisher.ts';
export { registerIngest } from './ingest.routes.ts';
export type { IngestDeps } from './deps.ts';
