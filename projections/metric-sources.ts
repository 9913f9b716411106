// Metric values that need a table or a parser (§2.7): carrier names from MCC/MNC codes
// (`mcc-mnc-list`, Wikipedia's list, refreshed with `npm update mcc-mnc-list`), install sources
// and referrers (sources plugin) and browser versions (browser plugin). Pure: the same input
// and package versions give the same value, so folds may call them.
import mccMncList from 'mcc-mnc-list';
import type { BrowserFacts } from './events.ts';

let operators: ReadonlyMap<string, string> | undefined;

/** MCC+MNC → operator brand (else operator name); built on first use from the package's table. */
function operatorTable(): ReadonlyMap<string, string> {
  if (operators !== undefined) return operators;
  const table = new Map<string, string>();
  for (const r of mccMncList.all()) {
    // The table's types say string, but either field may be null.
    const name: unknown = [r.brand, r.operator].find((n: unknown) => typeof n === 'string' && n.trim() !== '');
    const code = `${r.mcc}${r.mnc}`;
    if (typeof name === 'string' && !table.has(code)) table.set(code, name.trim());
  }
  operators = table;
  return table;
}

/** Operator of a 5–6 digit MCC+MNC code (`23415` → `Vodafone UK`); undefined when unknown. */
export const operatorName = (code: string): string | undefined => operatorTable().get(code);

const SEARCH_ENGINES = ['google', 'baidu.com', 'bing', 'yahoo', 'yandex', 'aol', 'facebook.com/l.php'];
const HOST_ONLY = ['r.search.yahoo.com', 'm.baidu.com'];
/** Query keys that carry search words: `true` for any engine, else only on hosts containing the text. */
const SEARCH_KEYS: Readonly<Record<string, true | string>> = {
  q: true,
  search: true,
  searchfor: true,
  query: true,
  wd: 'baidu',
  p: 'yahoo',
  text: 'yandex',
  u: 'facebook.com/l.php',
};
const TRACKING_KEYS = new Set(['_ga', '_gac', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content']);

/** Longest stored source, characters (sources plugin `sources_length_limit`). */
export const SOURCE_MAX_CHARS = 100;

/**
 * A web app's referrer as the sources plugin keeps it: no scheme or `www.`; a search engine's
 * URL keeps only its search words, other URLs lose their tracking parameters; one trailing `/`
 * of a short path is dropped.
 */
export function referrerSource(url: string): string {
  const q = url.indexOf('?');
  let path = (q > 0 ? url.slice(0, q) : url).replace(/^https?:\/\//, '').replace(/^www./, '');
  const pairs = (q > 0 ? url.slice(q + 1) : '').split('#')[0]?.split('&') ?? [];
  const search = SEARCH_ENGINES.some((e) => path.includes(e));
  if (HOST_ONLY.some((h) => path.includes(h)) && path.indexOf('/') > 0) path = path.slice(0, path.indexOf('/'));
  const kept = pairs.filter((pair) => {
    const [key = '', value] = pair.split('=');
    if (search) {
      const rule = Object.hasOwn(SEARCH_KEYS, key) ? SEARCH_KEYS[key] : undefined;
      return value !== undefined && value !== '' && (rule === true || (typeof rule === 'string' && path.indexOf(rule) > 0));
    }
    return value !== undefined && !TRACKING_KEYS.has(key);
  });
  const out = path + (kept.length > 0 ? `?${kept.join('&')}` : '');
  return out.endsWith('/') && !/\/(\w+)\//.test(out) ? out.slice(0, -1) : out;
}

/**
 * `_store` (§2.7 sources): the install store, `_os` when absent; for web apps the referrer URL.
 * Stored with `$` → `&#36;` and `.` → `&#46;` as the sources plugin does (dashboards decode them).
 */
export function sourceOf(store: string | undefined, os: string | undefined, appType: string | undefined): string | undefined {
  const raw = store ?? os;
  if (raw === undefined) return undefined;
  const value = (appType === 'web' && store !== undefined ? referrerSource(raw) : raw).slice(0, SOURCE_MAX_CHARS);
  return value.replace(/^\$/, '&#36;').replace(/\./g, '&#46;');
}

/** Browser name and `[<name>]_<version>` (browser plugin); the SDK's values win over the user agent's. */
export function browserValues(
  browser: string | undefined,
  version: string | undefined,
  fromAgent: BrowserFacts | undefined,
): { readonly brw: string | undefined; readonly brwv: string | undefined } {
  const brw = browser ?? fromAgent?.name;
  const v = version ?? fromAgent?.version ?? undefined;
  if (brw === undefined || v === undefined) return { brw, brwv: v };
  const prefix = `[${brw.toLowerCase()}]_`;
  return { brw, brwv: v.startsWith(prefix) ? v : prefix + v };
}
