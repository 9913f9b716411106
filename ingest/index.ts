// Public surface of ingest/: the publisher (the API may import only this part, see
// eslint.config.js), and the `/i` + `/i/bulk` routes with their metrics. The HTTP edge is in http/.
export { PublishUnavailableError, ingestErrors } from './errors.ts';
export { publishAll, publishAllMessages, publishEnvelope, encodeOutgoing, type OutgoingMessage, type PublishOptions } from './publisher.ts';
export { registerIngest, type IngestHandle } from './ingest.plugin.ts';
export { IngestMetrics, type IngestOutcome } from './metrics.ts';
export { WARNING_REASONS, type IngestWarning, type WarningReason } from './warnings.ts';
export { requestEventId, bulkItemEventId } from './msg-id.ts';
export type { IngestDeps } from './deps.ts';
