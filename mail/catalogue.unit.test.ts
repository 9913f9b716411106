import { describe, expect, it } from 'vitest';
import { FALLBACK_LANGUAGE, loadCatalogues, MESSAGE_KEYS, pickLanguage, placeholdersOf, renderMessage } from './catalogue.ts';

const catalogues = loadCatalogues();
const english = catalogues.get(FALLBACK_LANGUAGE)!;

describe('mail catalogues', () => {
  it('has English and at least one more language', () => {
    expect(catalogues.has('en')).toBe(true);
    expect(catalogues.size).toBeGreaterThanOrEqual(2);
  });

  for (const [lang, catalogue] of catalogues) {
    it(`${lang}: every message, with the same placeholders as English`, () => {
      for (const key of MESSAGE_KEYS) {
        const mine = catalogue.messages[key];
        const theirs = english.messages[key];
        const set = (parts: string[]) => [...new Set(parts.flatMap(placeholdersOf))].sort();
        expect(set([mine.subject, ...mine.body]), `${lang}.${key}`).toEqual(set([theirs.subject, ...theirs.body]));
      }
    });
  }

  it('picks the member language, its base language, else English', () => {
    expect(pickLanguage(catalogues, 'de')).toBe('de');
    expect(pickLanguage(catalogues, 'de-AT')).toBe('de');
    expect(pickLanguage(catalogues, 'xx')).toBe('en');
    expect(pickLanguage(catalogues, undefined)).toBe('en');
  });

  it('escapes values in HTML, keeps them as given in text, and shows moments in the member time zone', () => {
    const vars = { name: '<b>Al</b> & "Bo"', username: 'al', link: { url: 'https://x.example/reset/a?b=1&c=2' }, expires: { atMs: Date.UTC(2030, 0, 1, 12) } };
    const en = renderMessage(english, 'invite', vars, { language: 'en', timezone: 'America/New_York' });
    expect(en.text).toContain('Hello <b>Al</b> & "Bo",');
    expect(en.html).toContain('Hello &lt;b&gt;Al&lt;/b&gt; &amp; &quot;Bo&quot;,');
    expect(en.html).not.toContain('<b>Al');
    expect(en.html).toContain('<a href="https://x.example/reset/a?b=1&amp;c=2">');
    expect(en.text).toContain('January 1, 2030 at 07:00 AM EST');
    const de = renderMessage(catalogues.get('de')!, 'invite', vars, { language: 'de', timezone: 'Europe/Berlin' });
    expect(de.subject).toBe('Ihr Tally-Konto');
    expect(de.text).toContain('1. Januar 2030 um 13:00 MEZ');
  });

  it('never lets a value break a line into the subject', () => {
    const out = renderMessage(english, 'taskCompleted', { task: 'a\r\nBcc: evil@example.com', when: { atMs: 0 }, link: { url: 'x' } }, { language: 'en' });
    expect(out.subject).toBe('Tally: a Bcc: evil@example.com is ready');
  });
});
