// Every error code is unique and stable, and matches its class (STYLE.md §4); every error class
// and every code the source uses is registered here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiErrors } from '../api/errors.ts';
import { benchErrors } from '../bench/errors.ts';
import { CountlyReplyError, REFUSALS, RelayedRefusalError, httpErrors, type FixedTextCode, type RefusalCode } from '../http/errors.ts';
import { ingestErrors } from '../ingest/errors.ts';
import { processorErrors } from '../processors/errors.ts';
import { projectionErrors } from '../projections/errors.ts';
import { ServicesMissingError } from '../scripts/install.ts';
import { ServiceStartError } from '../scripts/services.ts';
import { ENV_VARS, ConfigError, configErrors } from '../streams.config.ts';

type Coded = Error & { code: string; name: string; statusCode?: number };
type AnyErrorClass = abstract new (...args: never[]) => Coded;

const ROOT = join(import.meta.dirname, '..');
const SOURCE_DIRS = ['http', 'ingest', 'api', 'processors', 'projections', 'scripts', 'bench'];

/** Production TypeScript files (tests excluded), as [path, text]. */
function sources(): [string, string][] {
  const files = SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(dir, f)),
  );
  return [...files, 'streams.config.ts'].map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]);
}

const classes: readonly AnyErrorClass[] = [
  ...projectionErrors,
  ...httpErrors,
  ...ingestErrors,
  ...processorErrors,
  ...apiErrors,
  ...benchErrors,
  ...configErrors,
  ServiceStartError,
  ServicesMissingError,
];

/** One instance per code: CountlyReplyError once per refusal, the others once. */
function instances(): Coded[] {
  return classes.flatMap((C): Coded[] => {
    if (C === CountlyReplyError) return Object.keys(REFUSALS).map((code) => new CountlyReplyError(code as RefusalCode, 'x'));
    if (C === ConfigError) return [new ConfigError(['x'])];
    return [new (C as new () => Coded)()];
  });
}

describe('error registry', () => {
  it('codes are unique, prefixed and set on instances; names match classes', () => {
    const all = instances();
    for (const e of all) {
      expect(e.code).toMatch(/^TALLY_[A-Z_]+$/);
      expect(classes.some((C) => C.name === e.name && e instanceof C)).toBe(true);
    }
    const codes = all.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('a refusal answers the status and text its code registers', () => {
    for (const [code, refusal] of Object.entries(REFUSALS)) {
      const e = new CountlyReplyError(code as RefusalCode, 'given text');
      expect([e.code, e.statusCode, e.result, e.message]).toEqual([code, refusal.statusCode, 'given text', 'given text']);
      if ('message' in refusal) expect(new CountlyReplyError(code as FixedTextCode).result).toBe(refusal.message);
    }
    expect(new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', ['a', 'b']).message).toBe('["a","b"]');
    const relayed = new RelayedRefusalError(409, 'busy', { remoteCode: 'TALLY_REBUILD_BUSY' });
    expect([relayed.code, relayed.statusCode, relayed.result, relayed.remoteCode]).toEqual(['TALLY_HTTP_RELAYED_REFUSAL', 409, 'busy', 'TALLY_REBUILD_BUSY']);
  });

  it('every error class in the source is registered', () => {
    const registered = new Set(classes.map((C) => C.name));
    const declared = sources().flatMap(([, text]) => [...text.matchAll(/(?<!abstract )\bclass (\w+Error)\b/g)].map((m) => m[1]!));
    expect(declared).toContain('StoreReadFailedError');
    expect(declared.filter((name) => !registered.has(name))).toEqual([]);
  });

  // A quoted 'TALLY_…' literal is a code, unless it names an environment variable (ENV_VARS).
  it('every code the source names is registered, and every refusal code is used', () => {
    const codes = new Set(instances().map((e) => e.code));
    const envNames = new Set(ENV_VARS.map(([name]) => name));
    const files = sources();
    const named = files.flatMap(([, text]) => [...text.matchAll(/'(TALLY_[A-Z_]+)'/g)].map((m) => m[1]!)).filter((c) => !envNames.has(c));
    expect(named.filter((c) => !codes.has(c))).toEqual([]);
    const outsideRegistry = files
      .filter(([f]) => f !== join('http', 'errors.ts'))
      .map(([, text]) => text)
      .join('\n');
    expect(Object.keys(REFUSALS).filter((code) => !outsideRegistry.includes(`'${code}'`))).toEqual([]);
  });
});
