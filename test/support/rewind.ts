// Rewinds a partition group's current consumer (its newest ownership epoch), so its owner is
// delivered everything again from `seq`: the redelivery a test injects on purpose.
import type { JetStreamManager } from '@nats-io/jetstream';
import { currentGroupConsumer } from '../../processors/index.ts';

export async function rewindGroup(jsm: JetStreamManager, stream: string, base: string, seq: number): Promise<void> {
  const current = await currentGroupConsumer(jsm, stream, base);
  if (current === undefined) throw new Error(`group ${base} has no consumer yet: wait until it is owned before rewinding it`);
  await jsm.consumers.reset(stream, current.name, seq);
}
