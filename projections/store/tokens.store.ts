// Auth tokens (spec §4.1): `auth_token` / `countly-token` credentials, stored as Countly does.
import type { Db } from 'mongodb';
import { z } from 'zod';
import { AUTH_TOKENS } from './collections.ts';
import { guarded } from './guarded.ts';

/** An endpoint restriction: a regular expression source, or one with required parameter patterns. */
export const tokenEndpointSchema = z.union([z.string(), z.object({ endpoint: z.string(), params: z.record(z.string(), z.string()).optional() })]);
export type TokenEndpoint = z.infer<typeof tokenEndpointSchema>;

export const authTokenSchema = z.looseObject({
  /** 40 hex characters. */
  _id: z.string(),
  /** Seconds the token lives; 0 never expires. */
  ttl: z.number(),
  /** Unix seconds: creation + ttl. */
  ends: z.number(),
  /** False: deleted after its first successful use. */
  multi: z.boolean(),
  /** Member id (hex). */
  owner: z.string(),
  /** `""` any app, else the allowed app ids. */
  app: z.union([z.literal(''), z.array(z.string())]),
  /** `""` any path, else patterns of which one must match. */
  endpoint: z.union([z.literal(''), z.array(tokenEndpointSchema)]),
  purpose: z.string().default(''),
  temporary: z.boolean().default(false),
});
export type AuthToken = z.infer<typeof authTokenSchema>;

const tokens = (db: Db) => db.collection<{ _id: string }>(AUTH_TOKENS);

export async function insertToken(db: Db, token: AuthToken): Promise<void> {
  await guarded('token insert', () => tokens(db).insertOne(token));
}

export async function findToken(db: Db, id: string): Promise<AuthToken | undefined> {
  const doc = await guarded('token lookup', () => tokens(db).findOne({ _id: id }));
  if (doc === null) return undefined;
  const parsed = authTokenSchema.safeParse(doc);
  // A malformed stored token is no credential; it is reported by the caller as invalid.
  return parsed.success ? parsed.data : undefined;
}

/** Deletes a token; true when this call removed it (a single-use token is spent only once). */
export async function consumeToken(db: Db, id: string): Promise<boolean> {
  const res = await guarded('token delete', () => tokens(db).deleteOne({ _id: id }));
  return res.deletedCount === 1;
}

export async function listTokens(db: Db, owner: string): Promise<AuthToken[]> {
  const docs = await guarded('token list', () => tokens(db).find({ owner }).sort({ _id: 1 }).toArray());
  return docs.flatMap((d) => {
    const parsed = authTokenSchema.safeParse(d);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Deletes one token of an owner; the result is what `/i/token/delete` reports. */
export async function deleteOwnToken(db: Db, id: string, owner: string): Promise<{ acknowledged: boolean; deletedCount: number }> {
  const res = await guarded('token delete', () => tokens(db).deleteOne({ _id: id, owner }));
  return { acknowledged: res.acknowledged, deletedCount: res.deletedCount };
}

export async function deleteTokensOfOwners(db: Db, owners: readonly string[]): Promise<void> {
  await guarded('token delete', () => tokens(db).deleteMany({ owner: { $in: [...owners] } }));
}
