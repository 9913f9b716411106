import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  configInputFromEnv,
  configSchema,
  ENV_VARS,
  consumerEpoch,
  consumerName,
  epochConsumerName,
  eventSubject,
  groupFilterSubjects,
  loadConfig,
  partitionsOfGroup,
} from './streams.config.ts';

describe('loadConfig', () => {
  it('gives every field a default and freezes the result', () => {
    const cfg = loadConfig({});
    expect(cfg.port).toBe(3001);
    expect(cfg.dataDir).toBe('./data');
    expect(cfg.streams.partitions).toBe(16);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.streams)).toBe(true);
  });

  it('reads only the documented environment variables', () => {
    const cfg = loadConfig({ PORT: '4000', NATS_URL: 'nats://h:4222', TALLY_PARTITIONS: '8', UNRELATED: 'x' }, { fromEnv: true });
    expect(cfg.port).toBe(4000);
    expect(cfg.natsUrl).toBe('nats://h:4222');
    expect(cfg.streams.partitions).toBe(8);
    expect(configInputFromEnv({ PORT: '' })).toEqual({});
  });

  it('lists every problem in one ConfigError', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'abc', MONGODB_URL: 'http://x', LOG_LEVEL: 'loud' }, { fromEnv: true });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const issues = (caught as ConfigError).issues;
    expect(issues.some((i) => i.startsWith('port:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('mongodbUrl:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('logLevel:'))).toBe(true);
  });

  it('refuses more partition groups than partitions', () => {
    expect(() => loadConfig({ streams: { partitions: 2, partitionGroups: 4 } })).toThrow(ConfigError);
  });
});

describe('subject layout', () => {
  const s = loadConfig({ streams: { prefix: 'tx', partitions: 8, partitionGroups: 3 } }).streams;
  it('partitions events by app and device partition', () => {
    expect(eventSubject(s, 'abc', 5)).toBe('tx.ev.abc.5');
  });
  it('assigns every partition to exactly one group', () => {
    const all = [0, 1, 2].flatMap((g) => partitionsOfGroup(s, g));
    expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(groupFilterSubjects(s, 1)).toEqual(['tx.ev.*.1', 'tx.ev.*.4', 'tx.ev.*.7']);
    expect(consumerName(s, 'sessions', 2)).toBe('tx_sessions_g2');
  });
  it("names a group consumer per ownership epoch and tells its epoch back, never another group's", () => {
    expect(epochConsumerName('tx_core_v1_g1', 42)).toBe('tx_core_v1_g1_r42');
    expect(consumerEpoch('tx_core_v1_g1', 'tx_core_v1_g1_r42')).toBe(42);
    expect(consumerEpoch('tx_core_v1_g1', 'tx_core_v1_g1')).toBe(0);
    expect(consumerEpoch('tx_core_v1_g1', 'tx_core_v1_g10_r42')).toBeUndefined();
    expect(consumerEpoch('tx_core_v1_g1', 'tx_core_v1_g1_r')).toBeUndefined();
    expect(consumerEpoch('tx_core_v1_g1', 'tx_core_v1_g1_r04')).toBeUndefined();
  });
});

/** Dotted paths of every leaf of a zod object schema, sections (object defaults) descended into. */
function schemaLeaves(schema: z.ZodType, prefix = ''): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (!(s instanceof z.ZodObject)) return [prefix];
  return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([key, child]) => schemaLeaves(child, prefix === '' ? key : `${prefix}.${key}`));
}

describe('environment variables', () => {
  const leaves = schemaLeaves(configSchema);
  /** The process basics keep their conventional names; everything else is TALLY_. */
  const CONVENTIONAL = ['PORT', 'HOST', 'DATA_DIR', 'NATS_URL', 'MONGODB_URL', 'MONGODB_DB', 'LOG_LEVEL', 'LOG_PRETTY'];

  it('give every config field exactly one variable, and name only fields', () => {
    expect(leaves.length).toBeGreaterThan(40);
    for (const leaf of leaves)
      expect(
        ENV_VARS.filter(([, path]) => path === leaf).map(([env]) => env),
        leaf,
      ).toHaveLength(1);
    for (const [env, path] of ENV_VARS) expect(leaves, env).toContain(path);
    expect(new Set(ENV_VARS.map(([env]) => env)).size).toBe(ENV_VARS.length);
  });

  it('are TALLY_ names in upper snake case that keep the unit of the field', () => {
    const units: [RegExp, string][] = [
      [/Ms$/, '_MS'],
      [/S$/, '_S'],
      [/Bytes$/, '_BYTES'],
      [/Days$/, '_DAYS'],
    ];
    for (const [env, path] of ENV_VARS) {
      if (!CONVENTIONAL.includes(env)) expect(env).toMatch(/^TALLY_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      const unit = units.find(([re]) => re.test(path));
      if (unit !== undefined) expect(env.endsWith(unit[1]), `${env} for ${path}`).toBe(true);
    }
  });

  it('each set the field they name', () => {
    for (const [env, path] of ENV_VARS) {
      let node: unknown = configInputFromEnv({ [env]: 'x' });
      for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
      expect(node, env).toBe('x');
    }
  });

  it('reach the settings that were missing before', () => {
    const cfg = loadConfig(
      {
        TALLY_STREAM_REPLICAS: '3',
        TALLY_STREAM_DUPLICATE_WINDOW_MS: '60000',
        TALLY_ACK_WAIT_MS: '45000',
        TALLY_MAX_DELIVER: '5',
        TALLY_PUBLISH_TIMEOUT_MS: '2000',
        TALLY_RETRY_AFTER_S: '9',
        TALLY_API_MEMBER_CACHE_TTL_MS: '1000',
      },
      { fromEnv: true },
    );
    expect([cfg.streams.replicas, cfg.streams.duplicateWindowMs, cfg.consumers.ackWaitMs, cfg.consumers.maxDeliver]).toEqual([3, 60_000, 45_000, 5]);
    expect([cfg.ingest.publishTimeoutMs, cfg.ingest.retryAfterS, cfg.api.memberCacheTtlMs]).toEqual([2_000, 9, 1_000]);
  });
});
