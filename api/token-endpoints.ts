// Token endpoint restrictions (spec §4.1) matched as literal paths and values, never as regular
// expressions: a member-supplied pattern run against every request path could hold the event
// loop for seconds (`(a|a)*b`). Countly compiles them with `new RegExp`; the shapes its users
// write (`/o/analytics/dashboard`, `^/o/analytics/`, `^/o$`, `^get_events$`) keep their meaning.
//
// Grammar: a leading `^` is dropped (matching always starts at the beginning); a trailing `$`
// asks for equality; a trailing `*` or `.*` for a plain prefix; anything else is literal. A path
// without `$` or `*` admits itself and everything below it (`/o/apps` admits `/o/apps/mine`,
// not `/o/apps_x`); a parameter value without them must be equal.

/** How a pattern's literal text is compared. */
type Mode = 'exact' | 'prefix' | 'subtree';

interface Literal {
  readonly text: string;
  readonly mode: Mode;
}

/** The patterns `/i/token/create` accepts; anything else is refused there. */
const PATH_PATTERN = /^\^?\/[A-Za-z0-9_./-]*(?:\*|\$)?$/;
const VALUE_PATTERN = /^\^?[A-Za-z0-9_.:@, /-]*(?:\*|\$)?$/;
const MAX_PATTERN_LENGTH = 200;

function literalOf(source: string, plain: Mode): Literal {
  const text = source.startsWith('^') ? source.slice(1) : source;
  if (text.endsWith('$')) return { text: text.slice(0, -1), mode: 'exact' };
  if (text.endsWith('.*')) return { text: text.slice(0, -2), mode: 'prefix' };
  if (text.endsWith('*')) return { text: text.slice(0, -1), mode: 'prefix' };
  return { text, mode: plain };
}

function literalMatches({ text, mode }: Literal, value: string): boolean {
  switch (mode) {
    case 'exact':
      return value === text;
    case 'prefix':
      return value.startsWith(text);
    case 'subtree':
      return value === text || value.startsWith(text.endsWith('/') ? text : `${text}/`);
  }
}

/** Whether a stored path pattern admits `path` (the routed, decoded path). Linear in both lengths. */
export const pathPatternMatches = (pattern: string, path: string): boolean => literalMatches(literalOf(pattern, 'subtree'), path);

/** Whether a stored parameter pattern admits `value`. Linear in both lengths. */
export const valuePatternMatches = (pattern: string, value: string): boolean => literalMatches(literalOf(pattern, 'exact'), value);

/** True for a path pattern `/i/token/create` may store. */
export const isPathPattern = (pattern: string): boolean => pattern.length <= MAX_PATTERN_LENGTH && PATH_PATTERN.test(pattern);

/** True for a parameter pattern `/i/token/create` may store. */
export const isValuePattern = (pattern: string): boolean => pattern.length <= MAX_PATTERN_LENGTH && VALUE_PATTERN.test(pattern);
