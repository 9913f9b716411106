// Browser of a user agent (spec §2.7, browser plugin), read with `bowser` at ingest and stored in
// the event, so a rebuild folds the same answer whatever bowser version it runs with. As in
// Countly, the SDK's `metrics._ua` is preferred to the User-Agent header.
import Bowser from 'bowser';
import type { BrowserFacts } from '../projections/index.ts';

/** Countly's names where bowser's differ. */
const RENAMED: Readonly<Record<string, string>> = { 'Microsoft Edge': 'Edge' };

/** Most user-agent characters read; real ones are far shorter. */
const MAX_UA_CHARS = 1_000;

/** Browser of a user agent; undefined when it names none (server SDKs, bots without a name). */
export function browserOf(userAgent: string | undefined): BrowserFacts | undefined {
  const ua = userAgent?.trim().slice(0, MAX_UA_CHARS);
  if (ua === undefined || ua === '') return undefined;
  const { name, version } = Bowser.parse(ua).browser;
  if (name === undefined || name === '') return undefined;
  return { name: RENAMED[name] ?? name, version: version === undefined || version === '' ? null : version };
}
