// Creates or updates the streams named in streams.config.ts. Idempotent: safe on every start.
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  deadLetterStreamName,
  deadLetterSubjectWildcard,
  eventsStreamName,
  eventsSubjectWildcard,
  type StreamsConfig,
} from '../streams.config.ts';

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

/** Ensures every stream exists with the configured settings. */
export async function ensureStreams(jsm: JetStreamManager, s: StreamsConfig): Promise<void> {
  for (const cfg of desiredStreams(s)) {
    const name = cfg.name;
    const existing = await jsm.streams.info(name).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw err;
    });
    if (existing === undefined) await jsm.streams.add(cfg);
    else await jsm.streams.update(name, cfg);
  }
}
