import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig } from '../streams.config.ts';
import { configTable, defaultText, fieldDocs, normalizeTable, README_PATH, readmeTable } from './config-table.ts';

const readme = readFileSync(README_PATH, 'utf8');

describe("README's configuration table", () => {
  it('is the table generated from the schema (run `npm run config-table` when this fails)', () => {
    const section = readmeTable(readme);
    expect(section, 'README.md lacks the config-table markers').toBeDefined();
    expect(normalizeTable(section ?? '')).toBe(normalizeTable(configTable()));
  });

  it('lists every environment variable once, with the schema default', () => {
    const rows = (readmeTable(readme) ?? '')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ').map((cell) => cell.replace(/^\|\s*/, '').trim()));
    expect(rows.map((r) => r[0])).toEqual(ENV_VARS.map(([env]) => `\`${env}\``));
    for (const [i, [, path]] of ENV_VARS.entries()) expect(rows[i]?.[2], path).toBe(defaultText(path));
    expect(defaultText('streams.duplicateWindowMs')).toBe(`\`${loadConfig({}).streams.duplicateWindowMs}\``);
  });

  it('has a doc comment stating the default for every field that has one', () => {
    const docs = fieldDocs();
    for (const [, path] of ENV_VARS) {
      const doc = docs.get(path) ?? '';
      expect(doc, path).not.toBe('');
      if (defaultText(path) !== '—') expect(doc, path).toMatch(/Default\b/);
    }
  });
});
