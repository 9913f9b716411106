// App-user document rules of the reference model, from the spec: `user_details` profile fields and
// custom-property operators (§2.10, with MongoDB's meaning of each operator) and the merge on
// `old_device_id` (§6.4 steps 2–3).

export type Doc = Record<string, unknown>;

const PROFILE = ['name', 'username', 'email', 'organization', 'phone', 'picture', 'gender', 'byear'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? [...(v as unknown[])] : v === undefined ? [] : [v]);

/** One operator applied to the current value; undefined means "absent". */
function applyOperator(current: unknown, op: string, arg: unknown): unknown {
  switch (op) {
    case '$inc':
      return (typeof current === 'number' ? current : 0) + Number(arg);
    case '$mul':
      return (typeof current === 'number' ? current : 0) * Number(arg);
    case '$max':
      return current === undefined || Number(arg) > Number(current) ? arg : current;
    case '$min':
      return current === undefined || Number(arg) < Number(current) ? arg : current;
    case '$setOnce':
      return current ?? arg;
    case '$push':
      return [...listOf(current), ...listOf(arg)];
    case '$addToSet':
      return listOf(arg).reduce<unknown[]>((acc, v) => (acc.some((x) => same(x, v)) ? acc : [...acc, v]), listOf(current));
    case '$pull':
      return Array.isArray(current) ? current.filter((x) => !listOf(arg).some((v) => same(x, v))) : current;
    default:
      throw new Error(`the model does not know ${op}`);
  }
}

/** §2.10: top-level profile fields, `custom.<key>` set, unset by "", or changed by operators. */
export function applyUserDetails(doc: Doc, details: Readonly<Record<string, unknown>>): void {
  for (const field of PROFILE) {
    const v = details[field];
    if (v === '') delete doc[field];
    else if (v !== undefined) doc[field] = field === 'byear' ? Number(v) : v;
  }
  if (!isObject(details.custom)) return;
  const custom: Record<string, unknown> = isObject(doc.custom) ? { ...doc.custom } : {};
  for (const [key, raw] of Object.entries(details.custom)) {
    if (raw === '') delete custom[key];
    else if (isObject(raw) && Object.keys(raw).every((k) => k.startsWith('$'))) {
      let value = custom[key];
      for (const [op, arg] of Object.entries(raw)) value = applyOperator(value, op, arg);
      custom[key] = value;
    } else custom[key] = raw;
  }
  if (Object.keys(custom).length > 0) doc.custom = custom;
  else delete doc.custom;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** §6.4 steps 2–3: the old user folded into the current one; identity stays with `current`. */
export function mergeUsers(current: Doc, old: Doc, nowMs: number): Doc {
  const oldWins = num(current.ls) === undefined || (num(old.ls) !== undefined && (num(current.ls) ?? 0) < (num(old.ls) ?? 0));
  const [winner, loser] = oldWins ? [old, current] : [current, old];
  const loserLater = (num(loser.ls) ?? -Infinity) > (num(winner.ls) ?? Infinity);
  const out: Doc = {};
  for (const key of new Set([...Object.keys(winner), ...Object.keys(loser)])) {
    if (['_id', 'did', 'uid'].includes(key)) continue;
    const w = winner[key];
    const l = loser[key];
    const pair = [num(w), num(l)].filter((v): v is number => v !== undefined);
    if (['sc', 'tsd', 'merges'].includes(key)) out[key] = (num(w) ?? 0) + (num(l) ?? 0);
    else if (['fs', 'fac'].includes(key)) out[key] = Math.min(...pair);
    else if (['ls', 'lac', 'lest', 'lbst'].includes(key)) out[key] = Math.max(...pair);
    else if (['lsid', 'sd'].includes(key) && loserLater) out[key] = l ?? w;
    else if (isObject(w) && isObject(l)) out[key] = { ...l, ...w };
    else if (Array.isArray(w) && Array.isArray(l)) out[key] = [...w, ...l.filter((x) => !w.some((y) => same(x, y)))];
    else out[key] = w ?? l;
  }
  for (const key of ['_id', 'did', 'uid']) if (current[key] !== undefined) out[key] = current[key];
  out.merged_uid = old.uid;
  out.merged_did = old.did;
  out.merges = (num(out.merges) ?? 0) + 1;
  out.last_merge = nowMs;
  return out;
}
