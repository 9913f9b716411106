// Turns a JetStream consume() stream into batches of at most N messages, cut after T ms of
// waiting once the first message of a batch arrived, whichever comes first.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';

export interface Batcher {
  /**
   * Resolves with the next batch, or [] when stopped or the signal aborted. With
   * `cutWhenCaughtUp`, a batch is also cut as soon as its last message says nothing more is
   * pending for the consumer (`info.pending` 0), instead of waiting out `waitMs` for messages
   * that are not there yet; `waitMs` then counts from the last message that arrived, not the first.
   */
  next(maxMessages: number, waitMs: number, signal: AbortSignal, cutWhenCaughtUp?: boolean): Promise<JsMsg[]>;
  /** Resets the ack timers of the buffered messages (while the runner waits, so they are not redelivered). */
  working(): void;
  stop(): Promise<void>;
}

export function batcher(messages: ConsumerMessages): Batcher {
  const buffer: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // The pump never rejects: an iterator failure is kept and rethrown by next().
  const pump = (async () => {
    try {
      for await (const m of messages) {
        buffer.push(m);
        notify();
      }
    } catch (err) {
      failure = err;
    } finally {
      ended = true;
      notify();
    }
  })();
  const waitFor = (ms: number) =>
    new Promise<void>((res) => {
      const t = setTimeout(() => {
        wake = undefined;
        res();
      }, ms);
      wake = () => {
        clearTimeout(t);
        res();
      };
    });

  return {
    async next(maxMessages, waitMs, signal, cutWhenCaughtUp = false) {
      while (buffer.length === 0 && !ended && !signal.aborted) await waitFor(250);
      let deadline = Date.now() + waitMs;
      const caughtUp = () => cutWhenCaughtUp && buffer[buffer.length - 1]?.info.pending === 0;
      while (buffer.length < maxMessages && !ended && Date.now() < deadline && !caughtUp()) {
        const had = buffer.length;
        await waitFor(deadline - Date.now());
        // Catching up, the wait is an idle gap: messages still arriving (their delivery is only
        // slowed by this process folding another group) extend the batch, never cut it short.
        if (cutWhenCaughtUp && buffer.length > had) deadline = Date.now() + waitMs;
      }
      if (buffer.length === 0 && failure !== undefined) throw failure instanceof Error ? failure : new Error('consumer iterator failed', { cause: failure });
      // The iterator ends on its own only when its consumer was deleted (a newer owner took over).
      if (buffer.length === 0 && ended && !signal.aborted) throw new Error('consumer closed: deleted by a newer owner or by pruning');
      return buffer.splice(0, maxMessages);
    },
    working() {
      for (const m of buffer) m.working();
    },
    async stop() {
      await messages.close();
      await pump;
    },
  };
}
