// `user_details` at the edge (spec §2.10). Custom properties may be operator objects
// (`{"visits":{"$inc":1}}`): the one place where a `$` key is meaningful. Only the SDK's
// operators are kept, as data the processors interpret; they never reach MongoDB as operators.
import { cleanCustomKey, cleanObjectKey } from './clean-keys.ts';
import { MAX_CUSTOM_OPERAND, withinBounds } from './clean-numbers.ts';
import { cleanJson, cleanKeyOf, isPlainObject, putEntry, type CleanScope } from './clean-json.ts';
import { paramPath, type WarningList } from './warnings.ts';

/** Operators the SDKs send for custom user properties (§2.10). */
export const USER_DETAILS_OPERATORS: ReadonlySet<string> = new Set(['$inc', '$mul', '$max', '$min', '$setOnce', '$push', '$addToSet', '$pull']);

/** Operators whose operand the processors combine with the stored number (bounded, see clean-numbers.ts). */
const ADDING_OPERATORS: ReadonlySet<string> = new Set(['$inc', '$mul']);

const isOperatorObject = (v: unknown): v is Record<string, unknown> =>
  isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

function cleanOperators(ops: Readonly<Record<string, unknown>>, path: string, scope: CleanScope): Record<string, unknown> | undefined {
  const out = new Map<string, unknown>();
  for (const [op, value] of Object.entries(ops)) {
    const at = paramPath(path, op);
    if (!USER_DETAILS_OPERATORS.has(op)) {
      scope.warnings.add(at, 'unknown_operator', `only ${[...USER_DETAILS_OPERATORS].join(', ')} are accepted`);
      continue;
    }
    if (ADDING_OPERATORS.has(op) && (typeof value === 'number' || typeof value === 'string') && !withinBounds(value, -MAX_CUSTOM_OPERAND, MAX_CUSTOM_OPERAND)) {
      scope.warnings.add(at, 'number_out_of_range', `${op} dropped: the operand must be within ±${MAX_CUSTOM_OPERAND}`);
      continue;
    }
    const cleaned = cleanJson(value, at, 3, scope);
    if (cleaned !== undefined) out.set(op, cleaned);
  }
  return out.size === 0 ? undefined : Object.fromEntries(out);
}

function cleanCustom(custom: Readonly<Record<string, unknown>>, path: string, warnings: WarningList): Record<string, unknown> {
  const customKeys: CleanScope = { warnings, keyRule: cleanCustomKey };
  const values: CleanScope = { warnings, keyRule: cleanObjectKey };
  const out = new Map<string, unknown>();
  for (const [rawKey, value] of Object.entries(custom)) {
    const key = cleanKeyOf(rawKey, path, customKeys);
    if (key === undefined) continue;
    const at = paramPath(path, rawKey);
    const cleaned = isOperatorObject(value) ? cleanOperators(value, at, values) : cleanJson(value, at, 2, values);
    if (cleaned !== undefined) putEntry(out, key, cleaned, path, customKeys);
  }
  return Object.fromEntries(out);
}

/** A parsed `user_details` object, cleaned. */
export function cleanUserDetails(details: Readonly<Record<string, unknown>>, path: string, warnings: WarningList): Record<string, unknown> {
  const scope: CleanScope = { warnings, keyRule: cleanObjectKey };
  const out = new Map<string, unknown>();
  for (const [field, value] of Object.entries(details)) {
    const at = paramPath(path, field);
    if (field === 'custom') {
      if (isPlainObject(value)) out.set('custom', cleanCustom(value, at, warnings));
      else warnings.add(at, 'wrong_type', 'custom must be an object');
      continue;
    }
    const key = cleanKeyOf(field, path, scope);
    if (key === undefined) continue;
    const cleaned = cleanJson(value, at, 1, scope);
    if (cleaned !== undefined) putEntry(out, key, cleaned, path, scope);
  }
  return Object.fromEntries(out);
}
