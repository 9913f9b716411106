#!/usr/bin/env node
// Runs the benchmark through tsx's loader (no build step): `npm run bench -- --help`.
import { register } from 'tsx/esm/api';

register();
await import('../bench/main.ts');
