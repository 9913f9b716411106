// Creates or updates the streams named in streams.config.ts. Idempotent: safe on every start.
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { deadLetterStreamName, deadLetterSubjectWildcard, eventsStreamName, eventsSubjectWildcard, type StreamsConfig } from '../streams.config.ts';

function desiredStreams(s: StreamsConfig): (Partial<StreamConfig> & { name: string })[] {
  return [
    {
      name: eventsStreamName(s),
      subjects: [eventsSubjectWildcard(s)],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(s.maxAgeMs),
      max_bytes: s.maxBytes,
      duplicate_window: nanos(s.duplicateWindowMs),
      num_replicas: s.replicas,
      allow_direct: true,
    },
    {
      name: deadLetterStreamName(s),
      subjects: [deadLetterSubjectWildcard(s)],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: s.replicas,
      duplicate_window: nanos(s.duplicateWindowMs),
    },
  ];
}

/** JetStream's answer when a stream of that name exists with a different configuration. */
const STREAM_NAME_IN_USE = 10_058;

/**
 * Adds a stream; when another process added it between our lookup and our add (simultaneous
 * starts), updates it to our settings instead. An identical add is already idempotent server-side.
 */
async function addOrUpdate(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(cfg);
  } catch (err) {
    // Decision: "name already in use" means we lost the create race; converge by updating.
    if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) throw err;
    await jsm.streams.update(cfg.name, cfg);
  }
}

/** Ensures every stream exists with the configured settings. */
export async function ensureStreams(jsm: JetStreamManager, s: StreamsConfig): Promise<void> {
  for (const cfg of desiredStreams(s)) {
    const name = cfg.name;
    const existing = await jsm.streams.info(name).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw err;
    });
    if (existing === undefined) await addOrUpdate(jsm, cfg);
    else await jsm.streams.update(name, cfg);
  }
}
