// High-cardinality traffic: every device new, 10k values of one segment, 150 segment keys and
// 10k device models. Used by the cardinality test (caps and document bound at a size that runs
// in seconds) and the cardinality bench scenario (the same traffic at 100k devices).
import type { SdkRequestReceived } from '../../projections/index.ts';

export const CARDINALITY_EVENTS_PER_REQUEST = 5;
export const CARDINALITY_SEGMENT_VALUES = 10_000;
export const CARDINALITY_DEVICE_MODELS = 10_000;
export const CARDINALITY_OS_VERSIONS = 50;
/** Segment keys offered besides `item` (the event segmentation limit is 100). */
export const CARDINALITY_SEGMENT_KEYS = 150;

/** Device id of request `i`. */
export const cardinalityDevice = (i: number): string => `card-${i}`;

/** Request `i`: a new device's first session with five events. */
export function cardinalityRequest(i: number, appId: string): SdkRequestReceived {
  const params = {
    begin_session: '1',
    timestamp: String(1_730_000_000 + (i % 86_400)),
    metrics: JSON.stringify({
      _os: 'Android',
      _os_version: `${i % CARDINALITY_OS_VERSIONS}.0`,
      _device: `model-${i % CARDINALITY_DEVICE_MODELS}`,
      _resolution: `${i % 2000}x${i % 3000}`,
    }),
    events: JSON.stringify(
      Array.from({ length: CARDINALITY_EVENTS_PER_REQUEST }, (_, k) => ({
        key: 'purchase',
        count: 1,
        sum: 1,
        segmentation: {
          item: `value-${(i * CARDINALITY_EVENTS_PER_REQUEST + k) % CARDINALITY_SEGMENT_VALUES}`,
          [`seg${(i + k) % CARDINALITY_SEGMENT_KEYS}`]: 'x',
        },
      })),
    ),
  };
  return {
    v: 1,
    type: 'SdkRequestReceived',
    id: `card-${i}`,
    requestId: `r${i}`,
    appId,
    appKey: 'card',
    appTimezone: 'Europe/Berlin',
    deviceId: cardinalityDevice(i),
    receivedAtMs: 1_730_100_000_000,
    ip: null,
    params,
  };
}
