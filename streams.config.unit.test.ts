import { describe, expect, it } from 'vitest';
import { ConfigError, configInputFromEnv, consumerName, eventSubject, groupFilterSubjects, loadConfig, partitionsOfGroup } from './streams.config.ts';

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
});
