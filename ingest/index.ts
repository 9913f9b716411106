// Public surface of ingest/: the Countly HTTP edge (shared with the API), the publisher, and the
// `/i` + `/i/bulk` routes with their metrics.
export * from './errors.ts';
export { createHttpServer, requestParams, sendJsonText, sendMessage, escapeMessageValue, type HttpServerOptions, type BodyIssue } from './http.ts';
export { publishAll, publishAllMessages, publishEnvelope, encodeOutgoing, type OutgoingMessage, type PublishOptions } from './publisher.ts';
export { registerIngest, type IngestHandle } from './ingest.plugin.ts';
export { IngestMetrics, type IngestOutcome } from './metrics.ts';
export { WARNING_REASONS, type IngestWarning, type WarningReason } from './warnings.ts';
export { requestEventId, bulkItemEventId } from './msg-id.ts';
export type { IngestDeps } from './deps.ts';
