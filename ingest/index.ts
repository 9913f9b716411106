// Public surface of ingest/: the publisher (the only part the API may import, see
// eslint.config.js), and the `/i` + `/i/bulk` routes for the process main. The HTTP edge is in http/.
export { PublishUnavailableError, ingestErrors } from './errors.ts';
export { publishAll, publishEnvelope, type PublishOptions } from './publisher.ts';
export { registerIngest, type IngestHandle } from './ingest.plugin.ts';
export { IngestMetrics, type IngestObserver, type IngestOutcome } from './metrics.ts';
export type { IngestDeps } from './deps.ts';
export { loadGeoIp, type GeoIp } from './geo-ip.ts';
