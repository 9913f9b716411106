// Public surface of the workload generator: seeded, deterministic Countly traffic.
export { APP_PROFILES, type AppProfile, type WorkloadApp } from './workload/apps.ts';
export { buildEventCatalog, EVENT_KEY_COUNT, SEGMENTS_PER_EVENT, type DeviceMetrics, type EventSpec } from './workload/catalog.ts';
export { toBulkBody, toEnvelope, toQuery, type EnvelopeFacts } from './workload/encode.ts';
export { deriveSeed, mulberry32, Rng, Weighted, Zipf } from './workload/rng.ts';
export { Workload, type CountlyEvent, type CountlyRequest, type WorkloadOptions } from './workload/sessions.ts';
