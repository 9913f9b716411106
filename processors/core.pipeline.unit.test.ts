import { describe, expect, it } from 'vitest';
import { PROJECTIONS, type TallyEvent } from '../projections/index.ts';
import { foreignReads } from './core.pipeline.ts';
import { LIVE_PIPELINES } from './live.ts';

const APP = '0123456789abcdef01234567';

function request(seq: number, deviceId: string, params: Record<string, unknown>): TallyEvent {
  return {
    v: 1,
    type: 'SdkRequestReceived',
    id: `e${seq}`,
    requestId: `r${seq}`,
    appId: APP,
    appKey: 'k',
    appTimezone: 'UTC',
    deviceId,
    receivedAtMs: 1_700_000_000_000 + seq,
    ip: null,
    params,
    seq,
  };
}

describe('core pipeline: foreign reads', () => {
  it('given a device-id change with merge, then the event reads the old device', () => {
    const events = [request(1, 'a', { begin_session: 1 }), request(2, 'b', { old_device_id: 'a' }), request(3, 'b', { begin_session: 1 })];
    expect(foreignReads(events)).toEqual([{ seq: 2, appId: APP, deviceId: 'a' }]);
  });

  it('given old_device_id equal to device_id, empty, or not text, then nothing is read', () => {
    const events = [request(1, 'a', { old_device_id: 'a' }), request(2, 'b', { old_device_id: '' }), request(3, 'c', { old_device_id: { x: 1 } })];
    expect(foreignReads(events)).toEqual([]);
  });

  it('given an app reset, then nothing is read', () => {
    const reset: TallyEvent = { v: 1, type: 'AppDataReset', id: 'x', appId: APP, period: 'all', atMs: 1_700_000_000_000, partition: 0, seq: 4 };
    expect(foreignReads([reset])).toEqual([]);
  });
});

describe('live pipelines', () => {
  it('runs one pipeline per projection, named for it', () => {
    expect(LIVE_PIPELINES.map((p) => p.pipeline.name)).toEqual([...PROJECTIONS]);
  });
});
