import { describe, expect, it } from 'vitest';
import {
  escapeMessageValue,
  escapeOutputString,
  escapeOutputValue,
  serializeMessage,
  serializeOutput,
  wrapJsonp,
} from './escape.ts';

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

  it('serializeOutput honours noescape and callback', () => {
    const value = { name: 'ç&#9647gA' };
    expect(serializeOutput(value)).toBe('{"name":"ç&amp;#9647gA"}');
    expect(serializeOutput(value, { noescape: 'true' })).toBe('{"name":"ç&#9647gA"}');
    expect(serializeOutput(value, { noescape: '' })).toBe('{"name":"ç&amp;#9647gA"}');
    expect(serializeOutput(false, { callback: 'cb' })).toBe('cb(false)');
    expect(serializeOutput([])).toBe('[]');
  });
});

describe('message writer escaping', () => {
  it('escapes only < and > in string values', () => {
    expect(escapeMessageValue({ '<k>': `<b>"&'`, list: ['<i>', 3] })).toStrictEqual({ '<k>': `&lt;b&gt;"&'`, list: ['&lt;i&gt;', 3] });
  });

  it('wraps the message in {"result": ...} and JSONP when asked', () => {
    expect(serializeMessage('Invalid parameter "app_id"')).toBe('{"result":"Invalid parameter \\"app_id\\""}');
    expect(serializeMessage('<Success>', 'jQuery1_2')).toBe('jQuery1_2({"result":"&lt;Success&gt;"})');
    expect(serializeMessage(['a', 'b'])).toBe('{"result":["a","b"]}');
  });
});

describe('wrapJsonp', () => {
  it('wraps only for a truthy callback', () => {
    expect(wrapJsonp('cb', '{}')).toBe('cb({})');
    expect(wrapJsonp('', '{}')).toBe('{}');
    expect(wrapJsonp(undefined, '{}')).toBe('{}');
  });
});
