// The HTML escaping of Countly's two response writers, and JSONP wrapping (spec §1.3).
//
// Choices: the output writer walks only plain objects and arrays; other objects (Date,
// ObjectId) are left to their toJSON, as Countly's replacer does, and a top-level string is not
// escaped (Countly's replacer only rewrites object members). `noescape` follows JavaScript
// truthiness like Countly (`noescape=0` is a non-empty string, so it disables escaping). A JSONP
// callback must look like a JavaScript name path: anything else answers plain JSON, so a
// request cannot make the API serve script of its choosing.

const OUTPUT_CHARS: Readonly<Record<string, string>> = {
  '"': '&quot;',
  "'": '&#39;',
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
};
// `&` is left alone when it already starts one of these entities.
const OUTPUT_PATTERN = /["'<>]|&(?!amp;|quot;|#39;|lt;|gt;|#46;|#36;)/g;

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

/** JavaScript truthiness of a request parameter (`noescape`). */
export const isTruthyParam = (value: unknown): boolean => Boolean(value);

/**
 * The message writer's escaping: `<` and `>` in every string, the top-level one included, at any
 * depth; keys untouched.
 */
export function escapeMessageValue(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (Array.isArray(value)) return value.map(escapeMessageValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeMessageValue(v)]));
  }
  return value;
}

const JSONP_CALLBACK = /^[A-Za-z_$][\w$.]{0,127}$/;

/** `<callback>(<json>)` when `callback` is a JavaScript name path, else `json` unchanged. */
export function wrapJsonp(callback: unknown, json: string): string {
  return typeof callback === 'string' && JSONP_CALLBACK.test(callback) ? `${callback}(${json})` : json;
}
