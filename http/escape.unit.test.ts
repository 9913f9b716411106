import { describe, expect, it } from 'vitest';
import { escapeMessageValue, escapeOutputString, escapeOutputValue, isTruthyParam, wrapJsonp } from './escape.ts';

describe('output writer escaping', () => {
  it('escapes quotes, angle brackets and bare ampersands', () => {
    expect(escapeOutputString(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('keeps the & of known entities, escapes others (test-suite example)', () => {
    expect(escapeOutputString('ç&#9647gA')).toBe('ç&amp;#9647gA');
    expect(escapeOutputString('&amp; &quot; &#39; &lt; &gt; &#46; &#36; &nbsp;')).toBe('&amp; &quot; &#39; &lt; &gt; &#46; &#36; &amp;nbsp;');
  });

  it('is idempotent on its own output', () => {
    const once = escapeOutputString(`<"'&>`);
    expect(escapeOutputString(once)).toBe(once);
  });

  it('escapes keys and string values at every depth, leaves other values', () => {
    const value = { '<k>': ['a&b', 1, true, null, { "x'": 'é<' }], n: 2, f: false };
    expect(escapeOutputValue(value)).toStrictEqual({ '&lt;k&gt;': ['a&amp;b', 1, true, null, { 'x&#39;': 'é&lt;' }], n: 2, f: false });
  });

  it('re-escapes a string value holding a JSON object or array (quirk)', () => {
    const value = { q: '{"name":"<b>","list":["a&b"]}', arr: ['[1,"<"]'], notJson: '{oops<' };
    expect(escapeOutputValue(value)).toStrictEqual({
      q: '{"name":"&lt;b&gt;","list":["a&amp;b"]}',
      arr: ['[1,"&lt;"]'],
      notJson: '{oops&lt;',
    });
  });

  it('leaves a top-level string and non-plain objects to JSON.stringify', () => {
    expect(escapeOutputValue('<x>')).toBe('<x>');
    const date = new Date(0);
    expect(escapeOutputValue({ at: date })).toStrictEqual({ at: date });
  });

  it('noescape follows JavaScript truthiness', () => {
    expect(isTruthyParam('true')).toBe(true);
    expect(isTruthyParam('0')).toBe(true);
    expect(isTruthyParam('')).toBe(false);
    expect(isTruthyParam(undefined)).toBe(false);
  });
});

describe('message writer escaping', () => {
  it('escapes only < and > in string values, keys untouched', () => {
    expect(escapeMessageValue({ '<k>': `<b>"&'`, list: ['<i>', 3] })).toStrictEqual({ '<k>': `&lt;b&gt;"&'`, list: ['&lt;i&gt;', 3] });
  });

  it('escapes a top-level string too (the message itself)', () => {
    expect(escapeMessageValue('<Success>')).toBe('&lt;Success&gt;');
  });
});

describe('wrapJsonp', () => {
  it('wraps only for a callback that is a JavaScript name path', () => {
    expect(wrapJsonp('cb', '{}')).toBe('cb({})');
    expect(wrapJsonp('jQuery1_2.cb$', '{}')).toBe('jQuery1_2.cb$({})');
    expect(wrapJsonp('', '{}')).toBe('{}');
    expect(wrapJsonp(undefined, '{}')).toBe('{}');
    expect(wrapJsonp(['cb'], '{}')).toBe('{}');
    expect(wrapJsonp('alert(1);cb', '{}')).toBe('{}');
    expect(wrapJsonp('1cb', '{}')).toBe('{}');
    expect(wrapJsonp('a'.repeat(129), '{}')).toBe('{}');
  });
});
