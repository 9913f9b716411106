// Key rules of spec §2.9 and §9.2, applied at the edge so that no key a client sends can later
// become a MongoDB operator (`$...`) or a field path (`a.b`). NUL is removed too: BSON keys are
// C strings. Each rule is idempotent, so the processors' own cleaning finds nothing left to change.

/**
 * Names that JavaScript objects inherit from `Object.prototype`, plus `prototype`. A processor that
 * uses a plain object as a map reads `rec["constructor"]` as a function, not as a missing entry
 * (and `__proto__` assigned as a key replaces the prototype), so these names are never stored as
 * keys. Listed rather than read from the engine so the wire behaviour does not change with Node;
 * a unit test checks the list still covers `Object.getOwnPropertyNames(Object.prototype)`.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
  'prototype',
]);

/** True for a key that names an inherited property of every object (see PROTOTYPE_KEYS). */
export const isPrototypeKey = (key: string): boolean => PROTOTYPE_KEYS.has(key);

// eslint-disable-next-line no-control-regex -- NUL is exactly what is being removed
const NUL = /\u0000/g;

/**
 * Segment keys and every other object key inside a parameter (§2.9 step 7): every `.` and a
 * leading `$` run are deleted (`$a.b` → `ab`). Dots go first: Countly's single pass turns `.$x`
 * into `$x`, which would still be an operator.
 */
export function cleanObjectKey(key: string): string {
  return key.replace(NUL, '').replace(/\./g, '').replace(/^\$+/, '');
}

/**
 * `user_details.custom` keys: the processors' field-name rule (leading `$` run removed, `.` → `:`),
 * which keeps the information a dotted name carries.
 */
export function cleanCustomKey(key: string): string {
  return key.replace(NUL, '').replace(/^\$+/, '').replace(/\./g, ':');
}

/** A top-level parameter name that could never be a Countly parameter and must not be stored. */
export function isUnsafeParamName(name: string): boolean {
  return name === '' || name.startsWith('$') || name.includes('.') || name.includes('\u0000') || isPrototypeKey(name);
}
