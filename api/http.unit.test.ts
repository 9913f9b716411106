import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CountlyReplyError } from '../http/index.ts';
import { parseParams } from './http.ts';

describe('parseParams', () => {
  const schema = z.object({ limit: z.coerce.number().int(), sort: z.enum(['asc', 'desc']) });

  it("answers Countly's text for the first bad parameter and keeps every zod issue as the cause", () => {
    let caught: unknown;
    try {
      parseParams(schema, { limit: 'x', sort: 'up' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CountlyReplyError);
    const e = caught as CountlyReplyError;
    expect([e.code, e.statusCode, e.result]).toEqual(['TALLY_HTTP_INVALID_PARAMETER', 400, 'Invalid parameter "limit"']);
    expect(e.cause).toBeInstanceOf(z.ZodError);
    expect((e.cause as z.ZodError).issues.map((i) => i.path[0])).toEqual(['limit', 'sort']);
  });

  it('returns the typed value when the parameters are good', () => {
    expect(parseParams(schema, { limit: '5', sort: 'asc' })).toEqual({ limit: 5, sort: 'asc' });
  });
});
