// The report kinds as one registry: the runner drives any job through `openReport` without
// knowing kinds. The fold state stays inside; it leaves only as checkpoint JSON.
import type { FoldEvent } from '../fold.ts';
import { foldFunnel, funnelResult, initialFunnel, type FunnelState } from './funnel.fold.ts';
import { foldRetention, initialRetention, retentionResult, type RetentionState } from './retention.fold.ts';
import type { ReportJob } from './report-spec.ts';
import { foldSegmentation, initialSegmentation, segmentationResult, type SegmentationState } from './segmentation.fold.ts';

/** A report being folded: feed it batches, checkpoint its state, read its result. */
export interface OpenReport {
  fold(events: readonly FoldEvent[]): void;
  /** The fold state as JSON (what a checkpoint stores). */
  stateJson(): string;
  result(): unknown;
}

function open<S>(initial: () => S, fold: (s: S, events: readonly FoldEvent[]) => S, result: (s: S) => unknown, stateJson: string | undefined): OpenReport {
  // The state JSON was written by stateJson() of the same kind (checkpoints are ours, by task id).
  let state: S = stateJson === undefined ? initial() : (JSON.parse(stateJson) as S);
  return {
    fold(events) {
      state = fold(state, events);
    },
    stateJson: () => JSON.stringify(state),
    result: () => result(state),
  };
}

/** Opens a job's report, fresh or from a checkpoint's state JSON. */
export function openReport(job: ReportJob, stateJson?: string): OpenReport {
  switch (job.kind) {
    case 'segmentation':
      return open<SegmentationState>(
        initialSegmentation,
        (s, e) => foldSegmentation(s, e, job),
        (s) => segmentationResult(s, job),
        stateJson,
      );
    case 'funnel':
      return open<FunnelState>(
        initialFunnel,
        (s, e) => foldFunnel(s, e, job),
        (s) => funnelResult(s, job),
        stateJson,
      );
    case 'retention':
      return open<RetentionState>(
        initialRetention,
        (s, e) => foldRetention(s, e, job),
        (s) => retentionResult(s, job),
        stateJson,
      );
  }
}
