// Cardinality: the document-size bound at the processors issue's scale. Every device is new,
// one segment has 10k values, 150 segment keys are offered and 10k device models
// (bench/workload/cardinality.ts); the caps must keep every projection document under 1 MB.
// Reports the fold rate of that traffic and the largest document. The caps' exact counts are
// checked by test/cardinality.int.test.ts at a size that runs in seconds.
import { partitionOf } from '../../projections/index.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { largestDocument } from '../documents.ts';
import { rateFigure, type Figure } from '../figures.ts';
import { checkpointTotals, publishAndApply, readOfApplied } from '../fold-watch.ts';
import { countedMessages } from '../publish.ts';
import { cardinalityDevice, cardinalityRequest } from '../workload/cardinality.ts';

const SCENARIO = 'cardinality';
/** Each device costs about 5 ms to fold on 2 cores with FerretDB; the wait allows twice that. */
const FOLD_MS_PER_DEVICE_ALLOWED = 10;

function* requests(appId: string, devices: number): Generator<ReturnType<typeof cardinalityRequest>> {
  for (let i = 0; i < devices; i++) yield cardinalityRequest(i, appId);
}

async function run(ctx: BenchContext): Promise<Figure[]> {
  const tally = await ctx.startTally(['processor']);
  try {
    const app = tally.apps[0];
    if (app === undefined) return [];
    const devices = ctx.budget.cardinalityDevices;
    const timeoutMs = Math.max(ctx.budget.foldTimeoutMs, devices * FOLD_MS_PER_DEVICE_ALLOWED);
    const r = await ctx.tallyPhase('cardinality-fold', () =>
      publishAndApply(tally, countedMessages(tally.config.streams, requests(app.id, devices)), timeoutMs),
    );
    const totals = await checkpointTotals(tally.handle.db);
    const collections = (await tally.handle.db.listCollections().toArray()).map((c) => c.name).filter((n) => n.endsWith('_v1'));
    const largest = await largestDocument(tally.handle.db, collections);
    const f = r.result;
    const seconds = f.durationMs / 1000;
    const read = await readOfApplied(ctx, tally, f);
    const common = { scenario: SCENARIO, count: f.envelopes, errors: totals.deadLetters, phase: { cpu: r.cpu, loopDelay: r.loopDelay } };
    const partitions = new Set(Array.from({ length: Math.min(devices, 1_000) }, (_, i) => partitionOf(cardinalityDevice(i), tally.config.streams.partitions)))
      .size;
    return [
      rateFigure({
        ...common,
        id: 'cardinality.fold.rate',
        label: 'new devices folded per s (first session, 5 segmented events, 4 metrics each)',
        value: f.envelopes / seconds,
        unit: 'devices/s',
        baseline: read,
        note: `${devices} devices = ${f.events} events in ${seconds.toFixed(1)} s over ${partitions} partitions; ${r.note}`,
      }),
      rateFigure({
        ...common,
        id: 'cardinality.largestDocument',
        label: 'largest projection document, BSON bytes',
        value: largest.bytes,
        unit: 'bytes',
        note: `${largest.collection} ${String(largest.id)}, of ${largest.documents} documents in ${collections.length} collections`,
      }),
    ];
  } finally {
    await tally.destroy();
  }
}

export const cardinality: Scenario = {
  name: SCENARIO,
  description: 'every device new, 10k segment values, 150 segment keys, 10k device models: fold rate and the largest document (≤ 1 MB)',
  run,
};
