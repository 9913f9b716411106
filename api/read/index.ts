// Public surface of the pure read-API helpers: period parsing, time objects, analytics.
export { parsePeriod } from './period.ts';
export type { PeriodObject, PeriodOptions, UniqueMap } from './period.ts';
export { buildTimeObject, sumTimeObjects, isValueList } from './time-object.ts';
export type { Family, TimeDoc, TimeNode, TimeObject, TimeObjectOptions, TimeTree } from './time-object.ts';
export { readCounter } from './time-tree.ts';
export {
  buildEventTicks,
  buildSessionTicks,
  correctUniques,
  dashboardItem,
  durationLabel,
  estimateUnique,
  formatLabel,
  percentChange,
  periodLabel,
  periodSeries,
  periodSum,
  periodTicks,
  ratioLabel,
  shortNumber,
  topThree,
} from './analytics.ts';
export type { BarItem, EstimateOptions, EventTick, PercentChange, SessionTick, Tick, TopItem, UniqueEstimate, UserCounts } from './analytics.ts';
