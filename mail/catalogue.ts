// Localized mail messages. One JSON file per language in `lang/` (`en.json`, `de.json`, ...);
// each message is a subject and a list of paragraphs with `{name}` placeholders, rendered once as
// text and once as HTML (values escaped there). Adding a language is adding one file
// (docs/mail.md); a unit test holds every file to English's messages and placeholders.
import { readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';

export const MESSAGE_KEYS = ['invite', 'passwordChanged', 'passwordReset', 'accountLocked', 'taskCompleted', 'taskFailed', 'errorNotice'] as const;
export type MessageKey = (typeof MESSAGE_KEYS)[number];

const messageSchema = z.object({ subject: z.string().min(1), body: z.array(z.string()).min(1) });
export const catalogueSchema = z.object({
  /** The language's own name. */
  language: z.string().min(1),
  messages: z.object(Object.fromEntries(MESSAGE_KEYS.map((k) => [k, messageSchema])) as Record<MessageKey, typeof messageSchema>),
});
export type Catalogue = z.infer<typeof catalogueSchema>;

/** A value put into a message: text, a link (an `<a>` in HTML), or a moment (shown in the member's zone). */
export type MessageValue = string | { readonly url: string } | { readonly atMs: number };
export type MessageVars = Readonly<Record<string, MessageValue>>;

export interface RenderedMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export const FALLBACK_LANGUAGE = 'en';
const LANG_DIR = new URL('./lang/', import.meta.url);

/** Every catalogue of `lang/`, by file name (`de.json` → `de`). Read at start-up, not at import. */
export function loadCatalogues(dir: URL = LANG_DIR): ReadonlyMap<string, Catalogue> {
  const out = new Map<string, Catalogue>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    out.set(file.slice(0, -'.json'.length), catalogueSchema.parse(JSON.parse(readFileSync(new URL(file, dir), 'utf8'))));
  }
  if (!out.has(FALLBACK_LANGUAGE)) throw new Error(`mail catalogue ${FALLBACK_LANGUAGE}.json is missing`);
  return out;
}

/** The language used for `lang`: itself, else its base (`de-AT` → `de`), else English. */
export function pickLanguage(catalogues: ReadonlyMap<string, Catalogue>, lang: string | undefined): string {
  const wanted = (lang ?? '').toLowerCase();
  if (catalogues.has(wanted)) return wanted;
  const base = wanted.split(/[-_]/)[0] ?? '';
  return catalogues.has(base) ? base : FALLBACK_LANGUAGE;
}

/** The placeholder names a template uses. */
export const placeholdersOf = (template: string): string[] => [...template.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1] ?? '');

const HTML_CHARS: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_CHARS[c] ?? c);

export interface RenderOptions {
  readonly language: string;
  /** IANA zone for moments; default UTC. */
  readonly timezone?: string;
}

function formatMoment(atMs: number, o: RenderOptions): string {
  const format = new Intl.DateTimeFormat(o.language, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: o.timezone ?? 'UTC',
    timeZoneName: 'short',
  });
  return format.format(atMs);
}

// Values never carry line breaks into a subject or paragraph (no header or layout injection).
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

function plain(value: MessageValue | undefined, o: RenderOptions): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return oneLine(value);
  return 'url' in value ? oneLine(value.url) : formatMoment(value.atMs, o);
}

function html(value: MessageValue | undefined, o: RenderOptions): string {
  if (value !== undefined && typeof value === 'object' && 'url' in value) {
    const url = escapeHtml(oneLine(value.url));
    return `<a href="${url}">${url}</a>`;
  }
  return escapeHtml(plain(value, o));
}

const fill = (template: string, put: (name: string) => string): string => template.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => put(name));

/** Renders one message of one catalogue; placeholders without a value render empty. */
export function renderMessage(catalogue: Catalogue, key: MessageKey, vars: MessageVars, o: RenderOptions): RenderedMessage {
  const message = catalogue.messages[key];
  const get = (name: string): MessageValue | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  const paragraphs = message.body.map((p) => ({ text: fill(p, (n) => plain(get(n), o)), html: fill(p, (n) => html(get(n), o)) }));
  const shown = paragraphs.filter((p) => p.text.trim() !== '');
  return {
    subject: fill(message.subject, (n) => plain(get(n), o)),
    text: `${shown.map((p) => p.text).join('\n\n')}\n`,
    html: `<!doctype html><html><body>${shown.map((p) => `<p>${p.html}</p>`).join('')}</body></html>`,
  };
}
