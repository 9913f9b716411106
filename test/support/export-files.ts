// Readers for export files that do not share code with the writers under test: an RFC 4180 CSV
// parser, and Python's openpyxl for XLSX (not exceljs). A missing openpyxl fails the test.
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';

/** Rows of a CSV text: fields split on commas outside quotes, rows on CRLF; quoted fields unquoted. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quoted) {
      if (ch === '"' && text.charAt(i + 1) === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text.charAt(i + 1) === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error(`CSV does not end with CRLF: ${JSON.stringify(text.slice(-40))}`);
  return rows;
}

const OPENPYXL_READER = `
import io, json, sys
import openpyxl
wb = openpyxl.load_workbook(io.BytesIO(sys.stdin.buffer.read()), read_only=True)
rows = []
for row in wb.worksheets[0].iter_rows(values_only=True):
    cells = list(row)
    while cells and cells[-1] is None:
        cells.pop()
    rows.append(cells)
print(json.dumps(rows))
`;

/** Cells of the first sheet of an XLSX file as openpyxl reads them (trailing empty cells dropped). */
export function readXlsxWithOpenpyxl(bytes: Buffer): unknown[][] {
  const out = execFileSync('python3', ['-c', OPENPYXL_READER], { input: bytes, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.toString('utf8')) as unknown[][];
}

export interface Download {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly bytes: Buffer;
}

/** GET with parameters (objects JSON-encoded), the whole body as bytes. */
export async function download(baseUrl: string, path: string, params: Readonly<Record<string, unknown>>): Promise<Download> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(url);
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/**
 * Starts a GET, reads `firstBytes` of the answer, then stops reading for `pauseMs` (the server's
 * socket fills up) and destroys the connection. Resolves with the bytes read.
 */
export function readThenHangUp(url: string, firstBytes: number, pauseMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => {
      let read = 0;
      let paused = false;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read < firstBytes || paused) return;
        paused = true;
        res.pause();
        setTimeout(() => {
          req.destroy();
          resolve(read);
        }, pauseMs);
      });
      // Decision: the reset we cause ourselves ends the answer; nothing else is expected here.
      res.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET' && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') reject(err);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}
