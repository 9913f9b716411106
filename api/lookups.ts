// Cached member and app lookups of the API. Members are cached briefly (their rights and lock
// change); apps longer. Both caches drop everything when a change is announced on core NATS,
// by this process or another one, and when NATS reconnects (an announcement may be lost).
import type { Subscription } from '@nats-io/transport-node';
import { findAppById, findMemberByApiKey, findMemberById, type AppRecord, type MemberRecord } from '../projections/index.ts';
import { appChangedSubject, memberChangedSubject } from '../streams.config.ts';
import { TtlCache } from './cache.ts';
import type { ApiDeps } from './deps.ts';

/** Most members or apps kept in memory per process. */
const MAX_CACHED = 10_000;
const API_KEY = /^[0-9a-f]{32}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;

export class Lookups {
  private readonly members: TtlCache<MemberRecord | undefined>;
  private readonly apps: TtlCache<AppRecord | undefined>;
  private readonly subs: Subscription[] = [];
  private stopped = false;

  constructor(
    private readonly deps: ApiDeps,
    now: () => number,
  ) {
    this.members = new TtlCache({ ttlMs: deps.config.api.memberCacheTtlMs, maxEntries: MAX_CACHED, now });
    this.apps = new TtlCache({ ttlMs: deps.config.api.appCacheTtlMs, maxEntries: MAX_CACHED, now });
  }

  /** The member owning `apiKey`; undefined for unknown or malformed keys (never queried). */
  memberByApiKey(apiKey: string): Promise<MemberRecord | undefined> {
    if (!API_KEY.test(apiKey)) return Promise.resolve(undefined);
    return this.members.get(`k:${apiKey}`, () => findMemberByApiKey(this.deps.db, apiKey));
  }

  memberById(id: string): Promise<MemberRecord | undefined> {
    if (!OBJECT_ID.test(id)) return Promise.resolve(undefined);
    return this.members.get(`i:${id}`, () => findMemberById(this.deps.db, id));
  }

  appById(id: string): Promise<AppRecord | undefined> {
    if (!OBJECT_ID.test(id)) return Promise.resolve(undefined);
    return this.apps.get(id, () => findAppById(this.deps.db, id));
  }

  /** Drops cached apps here and tells every other process to do the same. */
  appChanged(appId: string): void {
    this.apps.invalidateAll();
    this.deps.nc.publish(appChangedSubject(this.deps.config.streams), appId);
  }

  /** Drops cached members here and tells every other process to do the same. */
  memberChanged(memberId: string): void {
    this.members.invalidateAll();
    this.deps.nc.publish(memberChangedSubject(this.deps.config.streams), memberId);
  }

  /** Subscribes to change announcements; `stop` unsubscribes. */
  start(): void {
    const listen = (subject: string, cache: { invalidateAll(): void }, what: string): Subscription =>
      this.deps.nc.subscribe(subject, {
        callback: (err) => {
          cache.invalidateAll();
          if (err !== null) this.deps.log.warn({ err, what }, 'change subscription failed: cache dropped, TTL alone keeps it fresh');
        },
      });
    this.subs.push(listen(appChangedSubject(this.deps.config.streams), this.apps, 'apps'));
    this.subs.push(listen(memberChangedSubject(this.deps.config.streams), this.members, 'members'));
    this.watchReconnects().catch((err: unknown) => this.deps.log.warn({ err }, 'status watch ended: caches rely on TTL alone'));
  }

  stop(): void {
    this.stopped = true;
    if (this.deps.nc.isClosed()) return;
    for (const sub of this.subs) sub.unsubscribe();
  }

  private async watchReconnects(): Promise<void> {
    for await (const status of this.deps.nc.status()) {
      if (this.stopped) return;
      if (status.type === 'reconnect') {
        this.apps.invalidateAll();
        this.members.invalidateAll();
      }
    }
  }
}
