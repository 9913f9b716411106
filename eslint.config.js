// Lint enforces the layout of STYLE.md §1: folds do no I/O, and folders import only what they may.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noDeepImports = (folders) =>
  folders.map((f) => ({
    group: [`../${f}/*`, `../../${f}/*`, `!../${f}/index.ts`, `!../../${f}/index.ts`],
    message: `import ${f}/ through its index.ts only`,
  }));

const ban = (...groups) =>
  groups.map((g) => ({ group: [`../${g}/**`, `../../${g}/**`, `../${g}`, `../../${g}`], message: `this folder must not import ${g}/ (STYLE.md §1)` }));

/** What api/ may take from ingest/index.ts: the publisher, to queue jobs. */
const API_FROM_INGEST = ['publishAll', 'publishEnvelope', 'PublishOptions', 'PublishUnavailableError'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tmp/**', '.services/**', 'bench/results/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs', 'bin/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.mjs', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    // A later block's no-restricted-imports replaces an earlier one's for the files both match, so
    // each block below lists every pattern its files must obey (the fold block repeats the bans).
    files: ['projections/**/*.fold.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['mongodb', '@nats-io/*', 'fastify', 'pino', 'node:*'], message: 'folds are pure: no I/O imports (STYLE.md §1)' },
            { group: ['./store/*', './store'], message: 'folds never import the store' },
            ...ban('ingest', 'processors', 'api'),
          ],
        },
      ],
    },
  },
  {
    files: ['projections/**/*.ts'],
    ignores: ['projections/**/*.fold.ts', 'projections/store/**', 'projections/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['mongodb', '@nats-io/*', 'fastify', 'pino', 'node:*'], message: 'only projections/store/ may do I/O (STYLE.md §1)' },
            ...ban('ingest', 'processors', 'api'),
          ],
        },
      ],
    },
  },
  {
    files: ['projections/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nats-io/*', 'fastify'], message: 'the store talks to MongoDB only' }, ...ban('ingest', 'processors', 'api')] },
      ],
    },
  },
  {
    files: ['http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ban('ingest', 'processors', 'api'),
            { group: ['mongodb', '@nats-io/*'], message: 'the HTTP edge neither stores nor publishes (STYLE.md §1)' },
            { group: ['../projections/store/**', '../projections/store'], message: 'the HTTP edge never touches the store (STYLE.md §1)' },
            ...noDeepImports(['projections']),
          ],
        },
      ],
    },
  },
  {
    files: ['ingest/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...ban('processors', 'api'), ...noDeepImports(['projections', 'http'])] }] },
  },
  {
    files: ['processors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...ban('ingest', 'api'), { group: ['fastify'], message: 'processors serve no HTTP' }, ...noDeepImports(['projections'])] },
      ],
    },
  },
  {
    files: ['mail/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ban('ingest', 'processors', 'api'),
            { group: ['@nats-io/*', 'fastify'], message: 'mail/ sends mail; it neither publishes nor serves HTTP' },
            ...noDeepImports(['projections']),
          ],
        },
      ],
    },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...ban('processors'),
            ...noDeepImports(['projections', 'ingest', 'http', 'mail']),
            // The API queues jobs through ingest's publisher; the rest of ingest/ is not its business.
            {
              group: ['../ingest/index.ts', '../../ingest/index.ts'],
              allowImportNames: API_FROM_INGEST,
              message: `api/ imports only the publisher from ingest/ (${API_FROM_INGEST.join(', ')}; STYLE.md §1)`,
            },
          ],
        },
      ],
    },
  },
  {
    // Settings come from loadConfig (STYLE.md §3); only the config, the process mains and the bench read the environment.
    files: ['**/*.ts'],
    ignores: ['streams.config.ts', 'scripts/**', 'bench/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read settings from loadConfig (streams.config.ts), not process.env' },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
