// Messages between the bench process and its load-generator child, checked with zod on both
// sides (they cross a process boundary).
import { z } from 'zod';

const appProfile = z.object({
  name: z.string(),
  timezone: z.string(),
  tzOffsetMin: z.number().int(),
  country: z.string(),
  platform: z.enum(['mobile', 'web']),
  trafficShare: z.number().positive(),
});

export const workloadSpec = z.object({
  seed: z.number().int(),
  anchorMs: z.number().int(),
  apps: z.array(z.object({ profile: appProfile, id: z.string(), key: z.string() })).min(1),
});

export const requestSourceSpec = z.discriminatedUnion('kind', [
  /** GET /i?<params> (form POST past 2000 characters, like the SDKs), one Countly request per call. */
  z.object({ kind: z.literal('i-get'), workload: workloadSpec }),
  /** POST /i/bulk, form body `requests=[...]` with `itemsPerRequest` items. */
  z.object({ kind: z.literal('bulk-post'), workload: workloadSpec, itemsPerRequest: z.number().int().positive() }),
  /** GET of these paths in turn (read API queries); answers are data, not scanned for warnings. */
  z.object({ kind: z.literal('get-paths'), paths: z.array(z.string().startsWith('/')).min(1) }),
]);

export const loadOptionsSpec = z.object({
  origin: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/, 'bench traffic goes to 127.0.0.1 only'),
  connections: z.number().int().positive(),
  warmupMs: z.number().int().nonnegative(),
  durationMs: z.number().int().positive(),
  maxRequests: z.number().int().positive(),
  ratePerS: z.number().nonnegative(),
  requestTimeoutMs: z.number().int().positive(),
});

export const loadJob = z.object({ type: z.literal('run'), jobId: z.number().int(), load: loadOptionsSpec, source: requestSourceSpec });

export const loadResultSpec = z.object({
  sent: z.number(),
  ok: z.number(),
  failed: z.number(),
  okItems: z.number(),
  warned: z.number(),
  firstWarning: z.string().optional(),
  statusCounts: z.record(z.string(), z.number()),
  firstError: z.string().optional(),
  measuredMs: z.number(),
  okPerS: z.number(),
  okItemsPerS: z.number(),
  histogram: z.string(),
});

export const workerReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('result'), jobId: z.number().int(), result: loadResultSpec }),
  z.object({ type: z.literal('error'), jobId: z.number().int(), message: z.string() }),
]);

export type LoadJob = z.infer<typeof loadJob>;
export type RequestSourceSpec = z.infer<typeof requestSourceSpec>;
export type WorkerReply = z.infer<typeof workerReply>;
