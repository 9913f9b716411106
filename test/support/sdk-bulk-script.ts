// Drives countly-sdk-nodejs' bulk API (the SDK's way to send backdated traffic for many devices)
// and counts the requests it will produce, so a test can wait for exactly those on the stream.
import Countly, { type BulkUser, type CountlyEvent } from 'countly-sdk-nodejs';

export interface BulkSession {
  readonly metrics: Record<string, string>;
  /** Session length; the SDK adds one `session_duration` request per started minute. */
  readonly seconds: number;
  /** Begin time, unix seconds. */
  readonly atS: number;
}

export class BulkScript {
  private readonly bulk: InstanceType<typeof Countly.Bulk>;
  private readonly users = new Map<string, BulkUser>();
  private readonly eventDevices = new Set<string>();
  /** Requests queued so far. */
  requests = 0;

  constructor(appKey: string, url: string) {
    this.bulk = new Countly.Bulk({ app_key: appKey, url, interval: 50, bulk_size: 25, fail_timeout: 1 });
  }

  /** The SDK's user object of a device; `country_code` and `city` go with its session starts. */
  user(deviceId: string, location: { country_code?: string; city?: string } = {}): BulkUser {
    let u = this.users.get(deviceId);
    if (u === undefined) {
      u = this.bulk.add_user({ device_id: deviceId, ...location });
      this.users.set(deviceId, u);
    }
    return u;
  }

  /** `begin_session` at `atS`, then its heartbeats (60 s each, the last one the remainder). */
  session(deviceId: string, s: BulkSession): this {
    this.user(deviceId).begin_session(s.metrics, s.seconds, s.atS);
    this.requests += 1 + Math.ceil(s.seconds / 60);
    return this;
  }

  /** A raw request (the SDK adds sdk_name, sdk_version, hour, dow, tz, and `timestamp` when absent). */
  request(query: Record<string, unknown>): this {
    this.bulk.add_request(query);
    this.requests += 1;
    return this;
  }

  /** Events with their own timestamps; the SDK sends each device's queued events as one request. */
  events(deviceId: string, events: readonly CountlyEvent[]): this {
    for (const e of events) this.bulk.add_event(deviceId, { ...e });
    if (!this.eventDevices.has(deviceId)) this.requests += 1;
    this.eventDevices.add(deviceId);
    return this;
  }

  /** One `user_details` request (profile and plain custom values). */
  details(deviceId: string, details: Record<string, unknown>): this {
    this.user(deviceId).user_details(details);
    this.requests += 1;
    return this;
  }

  /** Custom-property operators through the SDK's helpers, sent as one request by `custom_save`. */
  custom(deviceId: string, change: (u: BulkUser) => void): this {
    const u = this.user(deviceId);
    change(u);
    u.custom_save();
    this.requests += 1;
    return this;
  }

  start(): void {
    this.bulk.start();
  }

  stop(): void {
    this.bulk.stop();
  }
}
