// Document sizes of a projection, for the document-size bound (1 MB per aggregate document).
import { BSON, type Db } from 'mongodb';

/**
 * Largest stored document, in BSON bytes (what MongoDB's 16 MB limit counts; JSON is smaller for
 * counters: `{"t":1}` is 7 bytes of JSON and 12 of BSON), over the given collections.
 */
export async function largestDocument(db: Db, collections: readonly string[]): Promise<{ collection: string; id: unknown; bytes: number; documents: number }> {
  let best = { collection: '', id: undefined as unknown, bytes: 0, documents: 0 };
  for (const c of collections) {
    for await (const doc of db.collection(c).find({})) {
      best.documents += 1;
      const bytes = BSON.calculateObjectSize(doc);
      if (bytes > best.bytes) best = { ...best, collection: c, id: doc._id, bytes };
    }
  }
  return best;
}
