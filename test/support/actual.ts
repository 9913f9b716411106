// Reads the stored projections back into the same shape as traffic.ts's expectations.
import type { Db, Document } from 'mongodb';
import { eventHash } from '../../projections/index.ts';
import type { Expected } from './traffic.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const dayKeys = (d: Record<string, unknown>) => Object.keys(d).filter((k) => /^\d+$/.test(k));

/** Sums month documents (m = YYYY:M) of event data and users into Expected's maps. */
export async function readActual(db: Db, apps: readonly string[], keys: readonly string[], version = 1): Promise<Expected> {
  const actual: Expected = { eventCounts: new Map(), eventSums: new Map(), sessions: new Map() };
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  const monthDocs = (docs: Document[]) => docs.filter((d) => typeof d.m === 'string' && !d.m.endsWith(':0'));
  for (const appId of apps) {
    const users = monthDocs(await db.collection(`users_v${version}`).find({ a: appId }).toArray());
    for (const doc of users) {
      const d = isObj(doc.d) ? doc.d : {};
      for (const day of dayKeys(d)) {
        const cell = d[day];
        if (isObj(cell) && typeof cell.t === 'number') add(actual.sessions, appId, cell.t);
      }
    }
    for (const key of keys) {
      const docs = monthDocs(
        await db
          .collection(`events_data_v${version}`)
          .find({ a: appId, e: eventHash(key, appId) })
          .toArray(),
      );
      for (const doc of docs) {
        const [year, month] = String(doc.m).split(':');
        const d = isObj(doc.d) ? doc.d : {};
        for (const day of dayKeys(d)) {
          const cell = d[day];
          if (!isObj(cell)) continue;
          if (doc.s === 'no-segment') {
            if (typeof cell.c === 'number') {
              add(actual.eventCounts, `${appId}|${key}`, cell.c);
              add(actual.eventCounts, `${appId}|${key}|${year}.${month}.${day}`, cell.c);
            }
            if (typeof cell.s === 'number') add(actual.eventSums, `${appId}|${key}`, cell.s);
          } else {
            for (const [value, v] of Object.entries(cell))
              if (isObj(v) && typeof v.c === 'number') add(actual.eventCounts, `${appId}|${key}|${String(doc.s)}|${value}`, v.c);
          }
        }
      }
    }
  }
  return actual;
}
