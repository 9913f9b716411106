// Long report kinds (docs/reports.md): request schemas, pure folds, and the registry the runner uses.
export * from './report-spec.ts';
export { openReport, type OpenReport } from './report-kinds.ts';
export {
  foldSegmentation,
  initialSegmentation,
  segmentationResult,
  NONE,
  type Cell,
  type SegmentationResult,
  type SegmentationState,
} from './segmentation.fold.ts';
export { foldFunnel, funnelResult, initialFunnel, type FunnelResult, type FunnelState } from './funnel.fold.ts';
export { foldRetention, initialRetention, retentionResult, type RetentionResult, type RetentionState } from './retention.fold.ts';
