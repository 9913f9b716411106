// Request schemas of the long report kinds (docs/reports.md): what `/o/tally/reports/<kind>`
// accepts, parsed once at the API edge, stored resolved in the task's `meta`, and read back by
// the runner with the same schemas. Parameters that carry JSON may arrive as text (GET, form) or
// as values (JSON body), spec §1.2.
import { z } from 'zod';

/** JSON text is parsed; anything else is passed on for the schema to judge. */
const jsonish = <S extends z.ZodType>(schema: S) =>
  z.preprocess((raw) => {
    if (typeof raw !== 'string') return raw;
    try {
      return JSON.parse(raw) as unknown;
    } catch (err) {
      // Decision: text that is not JSON goes to the schema as text, which refuses it with its issue.
      if (err instanceof SyntaxError) return raw;
      throw err;
    }
  }, schema);

/** Event keys and segment/property names: bounded, no `$` start, no dots (spec §9.2). */
const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^$.][^.]*$/, 'must not start with $ or contain dots');
/** User properties: a profile field, or `custom.<key>` for a custom property. */
const propertyName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^(custom\.)?[^$.][^.]*$/, 'a profile field or custom.<key>');
const value = z.union([z.string().max(1_000), z.number().transform(String), z.boolean().transform(String)]);
/** `{name: value | [values]}`: every named value must be one of the listed ones. */
const allowed = z.union([value.transform((v) => [v]), z.array(value).min(1).max(100)]);
const valueFilter = z.record(name, allowed).refine((r) => Object.keys(r).length <= 20, 'at most 20 keys');
const propertyFilter = z.record(propertyName, allowed).refine((r) => Object.keys(r).length <= 20, 'at most 20 keys');

export type ValueFilter = Readonly<Record<string, readonly string[]>>;

/** The pseudo event key of sessions (Countly's name for them). */
export const SESSION_KEY = '[CLY]_session';

export const SEGMENTATION_BUCKETS = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type SegmentationBucket = (typeof SEGMENTATION_BUCKETS)[number];

export const segmentationSpec = z.object({
  /** Event key, or `[CLY]_session` for sessions. */
  event: z.string().min(1).max(128),
  bucket: z.enum(SEGMENTATION_BUCKETS).default('daily'),
  /** Segment values the event must carry. */
  segments: jsonish(valueFilter).optional(),
  /** User properties (profile fields, or `custom.<key>`) the device must have had at the time of the event. */
  properties: jsonish(propertyFilter).optional(),
  /** Breakdown by one segment (`segment`) or one user property (`property`). */
  breakdown_by: z.enum(['segment', 'property']).optional(),
  breakdown: z.string().min(1).max(128).optional(),
});
export type SegmentationSpec = z.infer<typeof segmentationSpec>;

const funnelStep = z.object({ event: z.string().min(1).max(128), segments: valueFilter.optional() });
export const funnelSpec = z.object({
  /** Ordered steps: event keys with optional segment filters. */
  steps: jsonish(z.array(funnelStep).min(2).max(20)),
  /** Longest time from the first step to the last, s. Default 1 day. */
  window_s: z.coerce
    .number()
    .int()
    .positive()
    .max(366 * 86_400)
    .default(86_400),
});
export type FunnelSpec = z.infer<typeof funnelSpec>;

export const retentionSpec = z.object({
  /** Cohorts by first-seen day or week (weeks start on Monday, in the app's timezone). */
  cohort: z.enum(['daily', 'weekly']).default('daily'),
  /** Following days (or weeks) reported per cohort. Default 7. */
  periods: z.coerce.number().int().positive().max(90).default(7),
});
export type RetentionSpec = z.infer<typeof retentionSpec>;

export const REPORT_KINDS = ['segmentation', 'funnel', 'retention'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export const REPORT_SPECS = { segmentation: segmentationSpec, funnel: funnelSpec, retention: retentionSpec } as const;

/** Task `type` of every long report (the kind is in `meta`). */
export const REPORT_TASK_TYPE = 'tallyReport';

/** What a report job folds: stored as the task's `meta` (JSON) and read back by the runner. */
export const reportJob = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('segmentation'), spec: segmentationSpec }),
    z.object({ kind: z.literal('funnel'), spec: funnelSpec }),
    z.object({ kind: z.literal('retention'), spec: retentionSpec }),
  ])
  .and(
    z.object({
      appId: z.string().regex(/^[0-9a-f]{24}$/),
      /** The period, resolved in the app's timezone when the task was (re)started: first and last ms, inclusive. */
      startMs: z.number().int(),
      endMs: z.number().int(),
    }),
  );
export type ReportJob = z.infer<typeof reportJob>;
