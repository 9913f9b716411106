// The part of countly-sdk-nodejs (CommonJS, untyped) that the tests drive.
declare module 'countly-sdk-nodejs' {
  export interface CountlyEvent {
    key: string;
    count?: number;
    sum?: number;
    dur?: number;
    segmentation?: Record<string, string | number | boolean>;
    timestamp?: number;
  }

  export interface CountlyInit {
    app_key: string;
    url: string;
    device_id?: string;
    storage_path?: string;
    interval?: number;
    fail_timeout?: number;
    session_update?: number;
    app_version?: string;
    ip_address?: string;
    metrics?: Record<string, string>;
    force_post?: boolean;
    debug?: boolean;
  }

  export interface BulkInit {
    app_key: string;
    url: string;
    /** Called with node's request options before each request (headers may be added). */
    http_options?: (options: { headers?: Record<string, string | number> }) => void;
    interval?: number;
    bulk_size?: number;
    fail_timeout?: number;
    force_post?: boolean;
    debug?: boolean;
  }

  export interface BulkUser {
    begin_session(metrics?: Record<string, string>, seconds?: number, timestamp?: number): BulkUser;
    add_event(event: CountlyEvent): BulkUser;
    user_details(user: Record<string, unknown>): BulkUser;
    custom_set(key: string, value: string | number): BulkUser;
    custom_set_once(key: string, value: string | number): BulkUser;
    custom_unset(key: string): BulkUser;
    custom_increment(key: string): BulkUser;
    custom_increment_by(key: string, value: number): BulkUser;
    custom_multiply(key: string, value: number): BulkUser;
    custom_max(key: string, value: number): BulkUser;
    custom_min(key: string, value: number): BulkUser;
    custom_push(key: string, value: string | number): BulkUser;
    custom_push_unique(key: string, value: string | number): BulkUser;
    custom_pull(key: string, value: string | number): BulkUser;
    custom_save(): BulkUser;
  }

  export class Bulk {
    constructor(conf: BulkInit);
    add_request(query: Record<string, unknown>): Bulk;
    add_bulk_request(queries: Record<string, unknown>[]): Bulk;
    add_event(deviceId: string, event: CountlyEvent): Bulk;
    add_user(conf: { device_id: string; ip_address?: string; country_code?: string; city?: string }): BulkUser;
    start(onEmpty?: () => void): Bulk;
    stop(): Bulk;
  }

  interface CountlySdk {
    init(conf: CountlyInit): void;
    begin_session(noHeartBeat?: boolean): void;
    session_duration(seconds: number): void;
    end_session(seconds?: number): void;
    add_event(event: CountlyEvent): void;
    user_details(user: Record<string, unknown>): void;
    change_id(newId: string, merge: boolean): void;
    halt(preventRequestProcessing?: boolean): void;
    userData: {
      set(key: string, value: string | number): void;
      increment(key: string): void;
      push_unique(key: string, value: string): void;
      save(): void;
    };
    Bulk: typeof Bulk;
  }

  const Countly: CountlySdk;
  export default Countly;
}
