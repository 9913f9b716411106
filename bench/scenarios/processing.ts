// Processing: fold throughput and freshness. Owner: the processors issue. Intended shape:
// publish N envelopes with publishWorkload() (bench/publish.ts) to a Tally started with the
// `processor` role, time until every consumer's ack floor reaches the last sequence, and report
// `processing.fold.rate` (events/s, baseline `ctx.baselines.jsOrderedRead()`),
// `processing.fold.eventsPerWrite` (baseline `ctx.baselines.mongoBulkWrite()` for ops/s), and
// `processing.freshness` (publish → visible through /o at half load, a latencyFigure).
import { notImplemented } from './not-implemented.ts';

export const processing = notImplemented('processing', 'fold rate, events per write op, freshness');
