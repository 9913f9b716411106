import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appUserId, eventHash, md5, md5Base64FirstChar, sha1Hex, valueShard, VALUE_SHARDS } from './hash.ts';

const samples = ['', 'a', 'abc', 'device-42', 'ü€😀 unicode', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'q'.repeat(1000)];

describe('pure hashes', () => {
  it('match node:crypto md5 and sha1 for ascii, unicode and block-boundary lengths', () => {
    for (const s of samples) {
      expect(Buffer.from(md5(s)).toString('hex')).toBe(createHash('md5').update(s).digest('hex'));
      expect(sha1Hex(s)).toBe(createHash('sha1').update(s).digest('hex'));
    }
  });

  it('derive the shard char like Countly: first char of base64(md5(x))', () => {
    for (const s of samples) {
      expect(md5Base64FirstChar(s)).toBe(createHash('md5').update(s).digest('base64')[0]);
    }
  });

  it('spread values over all value shards', () => {
    const seen = new Set(Array.from({ length: 2000 }, (_, i) => valueShard(`v${i}`)));
    expect(seen.size).toBe(VALUE_SHARDS);
  });

  it('build app-user and event ids from sha1', () => {
    expect(appUserId('KEY', 'dev')).toBe(createHash('sha1').update('KEYdev').digest('hex'));
    expect(eventHash('buy', 'app')).toBe(createHash('sha1').update('buyapp').digest('hex'));
  });
});
