// Every error code is unique and stable, and matches its class (STYLE.md §4).
import { describe, expect, it } from 'vitest';
import { apiErrors } from '../api/errors.ts';
import { benchErrors } from '../bench/errors.ts';
import { httpErrors } from '../http/errors.ts';
import { ingestErrors } from '../ingest/errors.ts';
import { processorErrors } from '../processors/errors.ts';
import { projectionErrors } from '../projections/errors.ts';

describe('error registry', () => {
  const classes = [...projectionErrors, ...httpErrors, ...ingestErrors, ...processorErrors, ...apiErrors, ...benchErrors];
  it('codes are unique, prefixed and set on instances', () => {
    const codes = classes.map((C) => {
      const e = new (C as new (...args: never[]) => Error & { code: string; name: string })(...([] as never[]));
      expect(e.name).toBe(C.name);
      expect(e.code).toMatch(/^TALLY_[A-Z_]+$/);
      return e.code;
    });
    expect(new Set(codes).size).toBe(codes.length);
  });
});
