// What `/o/export/request`, `/o/export/requestQuery` and `/o/export/data` share: turning a value
// into the bytes of an export type (header first; spec §8), and their column parameters.
import { Readable } from 'node:stream';
import { z } from 'zod';
import { CountlyReplyError } from '../../http/index.ts';
import { jsonParam } from '../keys.ts';
import { guardPath } from '../query-guard.ts';
import { encodeTable } from './encode.ts';
import type { ExportType } from './formats.ts';
import { rowsOf, toTable, type TableOptions } from './table.ts';

/** The bytes of `value` as `type`: JSON as given, CSV and XLSX as a table of its rows. */
export function convertValue(value: unknown, type: ExportType, opts: TableOptions): Readable {
  if (type === 'json' || type === 'stream') return Readable.from([JSON.stringify(value ?? []) ?? '[]']);
  return encodeTable(type, toTable(rowsOf(value), opts));
}

const present = (v: unknown): boolean => v !== undefined && v !== '' && v !== null;

function jsonObject(raw: unknown, param: string): Record<string, unknown> | undefined {
  if (!present(raw)) return undefined;
  const parsed = jsonParam(raw);
  const value = parsed.ok ? parsed.value : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid parameter "${param}"`);
  return value as Record<string, unknown>;
}

/** `projection` (`{"a.b": 1, ...}`, columns in order) and `columnNames` (`{"a_b": "Label"}`). */
export function tableOptionsOf(params: { readonly projection?: unknown; readonly columnNames?: unknown }): TableOptions {
  const projection = jsonObject(params.projection, 'projection');
  const names = jsonObject(params.columnNames, 'columnNames');
  const columns = projection === undefined ? undefined : Object.keys(projection).filter((k) => projection[k] !== 0 && projection[k] !== false);
  for (const c of columns ?? []) guardPath(c, 'projection');
  const columnNames = names === undefined ? undefined : Object.fromEntries(Object.entries(names).map(([k, v]) => [k, String(v)]));
  return { ...(columns !== undefined ? { projection: columns } : {}), ...(columnNames !== undefined ? { columnNames } : {}) };
}

export const tableParams = { projection: z.unknown().optional(), columnNames: z.unknown().optional() };
