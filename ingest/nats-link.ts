// Tracks whether the NATS connection is up, so a request waits for a reconnect (within the publish
// budget) instead of publishing into a dead connection, and tells the owner when the connection
// comes back (app-change announcements may have been missed meanwhile). The watch ends by itself
// when the connection closes.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export class NatsLink {
  private connected = true;
  private stopped = false;
  /** Callers waiting for the connection to come back (whenUp). */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  /** Starts watching status events; `onReconnect` runs after every reconnect. */
  start(onReconnect: () => void): void {
    this.connected = !this.nc.isClosed();
    void this.watch(onReconnect);
  }

  /** Ignores later status events (the watch itself ends when the connection closes). */
  stop(): void {
    this.stopped = true;
  }

  /** False while disconnected or closed: publishing now would only wait for the timeout. */
  isUp(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /**
   * True once the connection is up, waiting at most `timeoutMs`: on a cluster the client moves
   * to another server within a moment, and a request should not fail for that moment.
   */
  async whenUp(timeoutMs: number): Promise<boolean> {
    if (this.isUp()) return true;
    if (this.nc.isClosed()) return false;
    await new Promise<void>((res) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        res();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
    return this.isUp();
  }

  private async watch(onReconnect: () => void): Promise<void> {
    try {
      for await (const status of this.nc.status()) {
        if (this.stopped) return;
        if (status.type === 'disconnect') {
          this.connected = false;
          this.log.warn({ server: status.server }, 'nats disconnected: ingest answers 503');
        } else if (status.type === 'reconnect') {
          this.connected = true;
          this.log.info({ server: status.server }, 'nats reconnected: ingest accepts again');
          for (const wake of [...this.waiters]) wake();
          onReconnect();
        }
      }
    } catch (err) {
      // Decision: without status events, fall back to the PubAck timeout alone (still never a false 200).
      this.connected = true;
      this.log.error({ err }, 'nats status watch failed');
    }
  }
}
