// Turns a JetStream consume() stream into batches of at most N messages, cut after T ms of
// waiting once the first message of a batch arrived, whichever comes first.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';

export interface Batcher {
  /** Resolves with the next batch, or [] when stopped or the signal aborted. */
  next(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<JsMsg[]>;
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
    async next(maxMessages, waitMs, signal) {
      while (buffer.length === 0 && !ended && !signal.aborted) await waitFor(250);
      const deadline = Date.now() + waitMs;
      while (buffer.length < maxMessages && !ended && Date.now() < deadline) await waitFor(deadline - Date.now());
      if (buffer.length === 0 && failure !== undefined) throw failure instanceof Error ? failure : new Error('consumer iterator failed', { cause: failure });
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
