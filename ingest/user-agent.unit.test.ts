import { describe, expect, it } from 'vitest';
import { browserOf } from './user-agent.ts';

describe('browserOf', () => {
  it('names the browser and its version', () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    expect(browserOf(chrome)).toEqual({ name: 'Chrome', version: '120.0.0.0' });
    expect(browserOf(`${chrome} Edg/121.0.0.0`)).toEqual({ name: 'Edge', version: '121.0.0.0' });
    expect(browserOf('Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')).toEqual({ name: 'Firefox', version: '121.0' });
  });

  it('has nothing for empty or nameless agents', () => {
    expect(browserOf(undefined)).toBeUndefined();
    expect(browserOf('  ')).toBeUndefined();
    expect(browserOf('node')).toBeUndefined();
  });
});
