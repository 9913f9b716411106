// Waiting for the processors by their checkpoints, never by sleeping: the core pipeline's
// checkpoints count every event they applied or dead-lettered.
import { listCheckpoints, type Checkpoint } from '../../projections/index.ts';
import type { TestTally } from './harness.ts';
import { lastSeq } from './stream.ts';
import { waitUntil } from './wait.ts';

/** Resolves with the core checkpoints once they account for every event now on the stream and none is mid-batch. */
export async function processedThroughHead(tally: TestTally, timeoutMs = 60_000): Promise<Checkpoint[]> {
  const head = await lastSeq(tally.jsm, tally.config.streams);
  return waitUntil(
    async () => {
      const cps = await listCheckpoints(tally.db, 'core:v1:');
      const accounted = cps.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0);
      return accounted >= head && cps.every((c) => c.pending === null) ? cps : undefined;
    },
    timeoutMs,
    `core checkpoints accounting for ${head} events`,
  );
}
