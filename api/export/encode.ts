// Streaming encoders: documents in (a cursor), bytes out, pulled by the consumer so a slow client
// slows the cursor (backpressure) and memory does not grow with the row count. A consumer that
// goes away destroys the stream, which returns the document iterator (closing the cursor).
// Column logic (spec §8): with a projection the header comes first in projection order and
// cells are looked up by dotted path; without one each document is flattened, its row holds the
// columns seen so far, and the header listing every column is written last (Countly's quirk).
import { PassThrough, Readable } from 'node:stream';
import { csvLine, flattenDocument, guardCell, projectedCell, type Cell } from './cells.ts';
import type { ExportType } from './formats.ts';
import type { Table } from './table.ts';

export interface EncodeOptions {
  /** Columns as dotted paths, header first; empty or absent: flatten, header last. */
  readonly projection?: readonly string[];
}

/** Characters collected before a chunk is handed to the consumer. */
const CHUNK_CHARS = 64 * 1024;
const XLSX_SHEET = 'Data';

async function* jsonChunks(docs: AsyncIterable<unknown>): AsyncGenerator<string> {
  let buf = '[';
  let first = true;
  // The first document goes out alone, so the first byte does not wait for a whole chunk.
  let flushAt = 0;
  for await (const doc of docs) {
    buf += (first ? '' : ',') + (JSON.stringify(doc) ?? 'null');
    first = false;
    if (buf.length >= flushAt) {
      yield buf;
      buf = '';
      flushAt = CHUNK_CHARS;
    }
  }
  yield `${buf}]`;
}

/** Rows of documents in the §8 column logic, the header row among them (first or last). */
async function* rowsOf(docs: AsyncIterable<unknown>, opts: EncodeOptions): AsyncGenerator<Cell[]> {
  const projection = opts.projection ?? [];
  if (projection.length > 0) {
    yield projection.map(guardCell);
    for await (const doc of docs) yield projection.map((c) => projectedCell(doc, c));
    return;
  }
  const columns: string[] = [];
  const seen = new Set<string>();
  for await (const doc of docs) {
    const row = flattenDocument(doc);
    for (const key of Object.keys(row)) {
      if (seen.has(key)) continue;
      seen.add(key);
      columns.push(key);
    }
    yield columns.map((c) => (Object.hasOwn(row, c) ? (row[c] ?? null) : null));
  }
  yield columns.map(guardCell);
}

async function* csvChunks(docs: AsyncIterable<unknown>, opts: EncodeOptions): AsyncGenerator<string> {
  let buf = '';
  // The first row goes out alone, so the first byte does not wait for a whole chunk.
  let flushAt = 0;
  for await (const cells of rowsOf(docs, opts)) {
    buf += csvLine(cells);
    if (buf.length >= flushAt) {
      yield buf;
      buf = '';
      flushAt = CHUNK_CHARS;
    }
  }
  if (buf !== '') yield buf;
}

/** Resolves when `out` can take more, or has closed (then the writer stops). */
const drained = (out: PassThrough): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });

/** How many committed rows between checks that the zip output keeps up. */
const XLSX_CHECK_EVERY_ROWS = 64;

/**
 * XML text has no carriage return (a reader turns `\r\n` and `\r` into `\n`), so the file says
 * what every reader will see. Other control characters are dropped by exceljs (not valid XML).
 */
const xlsxCell = (cell: Cell): Cell => (typeof cell === 'string' && cell.includes('\r') ? cell.replace(/\r\n?/g, '\n') : cell);

/** An XLSX workbook of rows (exceljs's streaming writer: inline strings, no styles kept in memory). */
function xlsxStream(rows: AsyncIterable<readonly Cell[]>): Readable {
  const out = new PassThrough();
  const write = async (): Promise<void> => {
    // Loaded on the first XLSX export: exceljs adds about 28 MB to a process that imports it.
    const { default: ExcelJS } = await import('exceljs');
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
    const sheet = workbook.addWorksheet(XLSX_SHEET);
    let n = 0;
    for await (const cells of rows) {
      if (out.destroyed) return;
      sheet.addRow(cells.map(xlsxCell)).commit();
      // The zip compresses on the thread pool: let it run, and wait while the consumer is behind.
      if (++n % XLSX_CHECK_EVERY_ROWS === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        while (out.writableNeedDrain && !out.destroyed) await drained(out);
      }
    }
    sheet.commit();
    await workbook.commit();
  };
  write().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

/** The export of `docs` as a byte stream of `type`. */
export function encodeStream(type: ExportType, docs: AsyncIterable<unknown>, opts: EncodeOptions = {}): Readable {
  if (type === 'csv') return Readable.from(csvChunks(docs, opts));
  if (type === 'xls' || type === 'xlsx') return xlsxStream(rowsOf(docs, opts));
  return Readable.from(jsonChunks(docs));
}

/** A table (header first) as CSV or XLSX bytes; JSON types are encoded by the caller. */
export function encodeTable(type: 'csv' | 'xls' | 'xlsx', table: Table): Readable {
  const rows = [table.header, ...table.rows];
  if (type === 'csv') return Readable.from([rows.map(csvLine).join('')]);
  return xlsxStream(
    (async function* () {
      yield* rows;
      return Promise.resolve();
    })(),
  );
}
