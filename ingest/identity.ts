// The wire checks every `/i` request and `/i/bulk` item passes first (spec §1.4, §2.2 steps 4–7).
import { z } from 'zod';
import type { AppSummary } from '../projections/index.ts';

/** Apple's zero IDFA: a device id that identifies nobody (spec §2.3). */
export const ZERO_IDFA = '00000000-0000-0000-0000-000000000000';

/** `app_key` / `device_id`: coerced to text as Countly does; objects and repeated values are refused. */
const idText = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((v) => String(v))
  .pipe(z.string().min(1));

const identitySchema = z.object({ app_key: idText, device_id: idText });

export interface Identity {
  readonly appKey: string;
  readonly deviceId: string;
}

/** The identity of a request, or undefined when `app_key` or `device_id` is missing or unusable. */
export function parseIdentity(params: Readonly<Record<string, unknown>>): Identity | undefined {
  const parsed = identitySchema.safeParse({ app_key: params.app_key, device_id: params.device_id });
  return parsed.success ? { appKey: parsed.data.app_key, deviceId: parsed.data.device_id } : undefined;
}

/** §1.4 global checks: a present `app_id` / `user_id` must be 24 characters long. */
export function invalidGlobalParam(params: Readonly<Record<string, unknown>>): 'app_id' | 'user_id' | undefined {
  for (const name of ['app_id', 'user_id'] as const) {
    const value = params[name];
    if (value === undefined) continue;
    const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
    if (text.length !== 24) return name;
  }
  return undefined;
}

/** Why an app refuses a request (§2.2 step 7), or undefined when it accepts it. */
export type AppRefusal = 'paused' | 'locked';

/** JavaScript truthiness of a flag parameter, which is how Countly reads `populator`. */
const truthy = (v: unknown): boolean => !(v === undefined || v === null || v === false || v === 0 || v === '');

export function appRefusal(app: AppSummary, params: Readonly<Record<string, unknown>>): AppRefusal | undefined {
  if (app.paused) return 'paused';
  if (app.locked && truthy(params.populator)) return 'locked';
  return undefined;
}
