// The HTML escaping of Countly's two response writers and JSONP wrapping (§1.3).
//
// Choices: only plain objects and arrays are walked; other objects (Date, ObjectId) are left
// to their toJSON, as Countly's replacer does. A top-level string is not escaped (Countly's
// replacer only rewrites object members). `noescape` and `callback` follow JavaScript
// truthiness like Countly (`noescape=0` is a non-empty string, so it disables escaping).

const MESSAGE_CHARS: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;' };
const OUTPUT_CHARS: Readonly<Record<string, string>> = {
  '"': '&quot;',
  "'": '&#39;',
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
};
// `&` is left alone when it already starts one of these entities.
const OUTPUT_PATTERN = /["'<>]|&(?!amp;|quot;|#39;|lt;|gt;|#46;|#36;)/g;

/** `<` and `>` as entities: the message writer's escaping of one string. */
export const escapeMessageString = (text: string): string => text.replace(/[<>]/g, (c) => MESSAGE_CHARS[c] ?? c);

/** The output writer's escaping of one string (key or value). */
export const escapeOutputString = (text: string): string => text.replace(OUTPUT_PATTERN, (c) => OUTPUT_CHARS[c] ?? c);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A string that is itself a JSON object or array, parsed; undefined for any other string. */
function parseJsonContainer(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch (err) {
    // Not JSON is the common case for a string that merely starts with a bracket.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function mapMembers(value: unknown, key: (k: string) => string, member: (v: unknown) => unknown): unknown {
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    return items.map(member);
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[key(k)] = member(v);
  return out;
}

/** The message writer's escaping: `<`/`>` in string values of objects and arrays, keys untouched. */
export function escapeMessageValue(value: unknown): unknown {
  const member = (v: unknown): unknown => (typeof v === 'string' ? escapeMessageString(v) : escapeMessageValue(v));
  return mapMembers(value, (k) => k, member);
}

function escapeOutputMember(value: unknown): unknown {
  if (typeof value !== 'string') return escapeOutputValue(value);
  const nested = parseJsonContainer(value);
  // Quirk kept: a string holding a JSON object/array is escaped inside and re-serialised.
  return nested === undefined ? escapeOutputString(value) : JSON.stringify(escapeOutputValue(nested));
}

/** The output writer's escaping (§1.3): keys and string values of objects and arrays. */
export function escapeOutputValue(value: unknown): unknown {
  return mapMembers(value, escapeOutputString, escapeOutputMember);
}

/** JavaScript truthiness of a request parameter (`noescape`, `callback`). */
export const isTruthyParam = (value: unknown): boolean => Boolean(value);

function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** `<callback>(<json>)` when `callback` is truthy, else `json` unchanged. */
export function wrapJsonp(callback: unknown, json: string): string {
  return isTruthyParam(callback) ? `${String(callback)}(${json})` : json;
}

/** Body of the message writer: `{"result": <message>}` escaped, JSONP-wrapped when asked. */
export function serializeMessage(message: unknown, callback?: unknown): string {
  return wrapJsonp(callback, toJson(escapeMessageValue({ result: message })));
}

export interface OutputOptions {
  /** The request's `noescape` parameter; truthy disables escaping. */
  noescape?: unknown;
  /** The request's `callback` parameter; truthy wraps the body as JSONP. */
  callback?: unknown;
}

/** Body of the output writer: the raw value escaped (unless `noescape`), JSONP-wrapped when asked. */
export function serializeOutput(value: unknown, opts: OutputOptions = {}): string {
  const escaped = isTruthyParam(opts.noescape) ? value : escapeOutputValue(value);
  return wrapJsonp(opts.callback, toJson(escaped));
}
