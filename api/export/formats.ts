// Export types, their headers and default file names (spec §8).
import { z } from 'zod';

export const EXPORT_TYPES = ['json', 'stream', 'csv', 'xls', 'xlsx'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

/** `type`: one of the export types; anything else (or nothing) is json, as in Countly. */
export const exportTypeParam = z.enum(EXPORT_TYPES).catch('json');

const CONTENT_TYPES: Readonly<Record<ExportType, string>> = {
  json: 'application/json',
  stream: 'application/json',
  csv: 'text/csv',
  // Countly's type for both; the body is an XLSX workbook in both cases.
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.ms-excel',
};

export const contentTypeOf = (type: ExportType): string => CONTENT_TYPES[type];

/** The file extension: `stream` is a JSON file. */
export const extensionOf = (type: ExportType): string => (type === 'stream' ? 'json' : type);

/** `attachment;filename=<URI-encoded name>.<ext>` (Countly's header, no space, no quotes). */
export const contentDisposition = (filename: string, type: ExportType): string => `attachment;filename=${encodeURIComponent(filename)}.${extensionOf(type)}`;

/** The export type a stored file name ends with (`report.xlsx` → xlsx); undefined when none fits. */
export function typeOfFileName(name: string): ExportType | undefined {
  const ext = /\.([a-z]+)$/.exec(name)?.[1];
  return ext === 'json' || ext === 'csv' || ext === 'xls' || ext === 'xlsx' ? ext : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `DD-MMM-YYYY` of a UTC day (Countly uses the server's zone; Tally's servers run in UTC). */
export function exportDate(nowMs: number): string {
  const d = new Date(nowMs);
  return `${String(d.getUTCDate()).padStart(2, '0')}-${MONTHS[d.getUTCMonth()] ?? ''}-${d.getUTCFullYear()}`;
}

/** `<Collection>[_from_<skip>_to_<skip+limit>]_exported_on_DD-MMM-YYYY`. */
export function collectionFileName(collection: string, skip: number, limit: number, nowMs: number): string {
  const name = collection.charAt(0).toUpperCase() + collection.slice(1).toLowerCase();
  const paging = skip > 0 ? `_from_${skip}_to_${skip + limit}` : '';
  return `${name}${paging}_exported_on_${exportDate(nowMs)}`;
}

/** `<path with / → _>_on_DD-MMM-YYYY` (`/o` → `_o_on_...`). */
export const requestFileName = (path: string, nowMs: number): string => `${path.replaceAll('/', '_')}_on_${exportDate(nowMs)}`;

/** `Data_export_on_DD-MMM-YYYY`. */
export const dataFileName = (nowMs: number): string => `Data_export_on_${exportDate(nowMs)}`;
