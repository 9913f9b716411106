// Flattening and cells of exports (spec §8), pure. A document becomes one row of cells:
// nested objects become `parent_child` columns (recursive), arrays of scalars one cell joined
// with `, `, arrays holding objects or arrays `key_0`, `key_1`, ... with JSON text, ObjectIds
// hex strings. Numbers and booleans stay bare; null and undefined are empty cells.
// String cells that a spreadsheet would read as a formula get a leading backtick: Countly's
// `@ = + -`, and also tab and carriage return, which Countly misses (docs/countly-differences.md).

/** One cell as the writers take it: CSV quotes strings; XLSX keeps numbers and booleans typed. */
export type Cell = string | number | boolean | null;

/** A flattened document: column name → cell, in the document's key order. */
export type FlatRow = Record<string, Cell>;

const DELIMITER = '_';
const FORMULA_START = new Set(['@', '=', '+', '-', '\t', '\r']);

/** A string a spreadsheet would take for a formula gets a leading backtick (CSV-injection guard). */
export function guardCell(text: string): string {
  return text.length > 0 && FORMULA_START.has(text.charAt(0)) ? `\`${text}` : text;
}

function isObjectId(value: object): value is { toHexString(): string } {
  return '_bsontype' in value && value._bsontype === 'ObjectId' && 'toHexString' in value && typeof value.toHexString === 'function';
}

/** BSON scalars (Long, Decimal128, ...) print themselves. */
function ownText(value: object): string | undefined {
  const print: unknown = Reflect.get(value, 'toString');
  if (typeof print !== 'function' || print === Object.prototype.toString) return undefined;
  const text: unknown = Reflect.apply(print, value, []);
  return typeof text === 'string' ? text : undefined;
}

/** BSON values other than documents and arrays (ObjectId, Long, Decimal128, Binary, ...). */
const isBsonScalar = (value: object): boolean => '_bsontype' in value;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) return false;
  return !isBsonScalar(value);
}

/** JSON text for a value inside a cell (ObjectIds and Dates through their toJSON: hex, ISO). */
const jsonText = (value: unknown): string => JSON.stringify(value) ?? '';

/** A scalar as a cell: ObjectId → hex, Date → ISO text, other BSON scalars → their text; objects → JSON text. */
export function scalarCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return guardCell(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'object') {
    if (isObjectId(value)) return value.toHexString();
    const text = isBsonScalar(value) ? ownText(value) : undefined;
    if (text !== undefined) return guardCell(text);
    return guardCell(jsonText(value));
  }
  return null;
}

const isScalar = (value: unknown): boolean => typeof value !== 'object' || value === null || value instanceof Date || isBsonScalar(value);

/** Text of one array item joined into a `, ` cell. */
function joinedItem(value: unknown): string {
  const cell = scalarCell(value);
  return cell === null ? '' : String(cell);
}

function flattenInto(out: FlatRow, value: Readonly<Record<string, unknown>>, prefix: string): void {
  for (const [key, v] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}${DELIMITER}${key}`;
    if (isPlainObject(v)) {
      flattenInto(out, v, name);
    } else if (Array.isArray(v)) {
      const items: readonly unknown[] = v;
      if (items.every(isScalar)) out[name] = guardCell(items.map(joinedItem).join(', '));
      else items.forEach((item, i) => (out[`${name}${DELIMITER}${i}`] = isScalar(item) ? scalarCell(item) : guardCell(jsonText(item))));
    } else {
      out[name] = scalarCell(v);
    }
  }
}

/** A document as one flat row (spec §8). */
export function flattenDocument(doc: unknown): FlatRow {
  // Keys are client data: a map without a prototype keeps `__proto__` a plain column.
  const out: FlatRow = Object.create(null) as FlatRow;
  if (isPlainObject(doc)) flattenInto(out, doc, '');
  else out.value = scalarCell(doc);
  return out;
}

/** The value at a dotted path of a document (`a.b.c`); undefined when a step is missing. */
export function valueAtPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** With a projection, a cell is looked up by its dotted path; a nested value becomes JSON text. */
export function projectedCell(doc: unknown, path: string): Cell {
  const value = valueAtPath(doc, path);
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    return items.every(isScalar) ? guardCell(items.map(joinedItem).join(', ')) : guardCell(jsonText(value));
  }
  return scalarCell(value);
}

/** One CSV field: strings double-quoted with inner quotes doubled, numbers and booleans bare, null empty. */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'string') return `"${cell.replaceAll('"', '""')}"`;
  return String(cell);
}

/** One CSV line, ending with `\r\n`. */
export const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;
