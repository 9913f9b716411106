import { startServices } from '/work/main/scripts/services.ts';
import { MongoClient } from 'mongodb';
import { mkdtempSync } from 'node:fs';
const s = await startServices({ dataDir: mkdtempSync('/tmp/fd-'), natsPort: 0, mongoPort: 0 });
const c = await MongoClient.connect(s.mongo.url);
const col = c.db('x').collection('y');
for (const k of [' ', ' a', 'a ', '\t', '\u00a0', '\u3000', '\u200b', 'a b']) {
  try { await col.updateOne({ _id: 'k' as never }, { $inc: { [`d.3.${k}.c`]: 1 } }, { upsert: true }); console.log(JSON.stringify(k), 'ok'); }
  catch (e) { console.log(JSON.stringify(k), 'ERR', (e as Error).message); }
  try { await col.insertOne({ [k]: 1 }); console.log(JSON.stringify(k), 'insert ok'); } catch (e) { console.log(JSON.stringify(k), 'insert ERR', (e as Error).message); }
}
await c.close(); await s.stop();
