// Control-plane messages between processes (not events: nothing here is stored in the stream).
// The API asks a processor process to start a rebuild; the processor replies.
import { z } from 'zod';

/** Projections a rebuild can name; the processors run a live pipeline for each (processors/live.ts). */
export const PROJECTIONS = ['core'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

export const rebuildCommand = z.object({
  projection: z.string().min(1).max(100),
  /** Inactive version to copy documents and checkpoints from. */
  base: z.number().int().positive().optional(),
  /** First stream sequence, or a time resolved to the first sequence at or after it. */
  from: z.union([z.object({ seq: z.number().int().positive() }), z.object({ timeMs: z.number().int().nonnegative() })]).optional(),
});
export type RebuildCommand = z.infer<typeof rebuildCommand>;

export const rebuildReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), projection: z.string(), version: z.number().int(), resumed: z.boolean() }),
  z.object({ ok: z.literal(false), code: z.string(), statusCode: z.number().int(), message: z.string() }),
]);
export type RebuildReply = z.infer<typeof rebuildReply>;

/** Body of a projection pointer switch announcement. */
export const projectionSwitched = z.object({ projection: z.string(), version: z.number().int().positive() });
export type ProjectionSwitched = z.infer<typeof projectionSwitched>;
