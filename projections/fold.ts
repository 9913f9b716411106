// What every fold accepts: a decoded envelope, with its stream sequence when it came from one.
import type { EventEnvelope } from './events.ts';

export type FoldEvent = EventEnvelope & { readonly seq?: number };

/** Event types the projection folds read. */
export const PROJECTION_EVENT_TYPES = ['SdkRequestReceived', 'AppDataReset'] as const;

/** Highest stream sequence folded so far (null before any sequenced event). */
export function maxSeq(current: number | null, event: FoldEvent): number | null {
  if (event.seq === undefined) return current;
  return current === null ? event.seq : Math.max(current, event.seq);
}

/** Whether a device key or document id belongs to the app (`<appId>:` / `<appId>_` prefix). */
export const belongsToApp = (key: string, appId: string): boolean => key.startsWith(appId) && (key[appId.length] === ':' || key[appId.length] === '_');

/** Whether the event is one the projection folds read (others leave state untouched). */
export const handles = (event: { readonly type: string }): boolean => (PROJECTION_EVENT_TYPES as readonly string[]).includes(event.type);
