#!/usr/bin/env node
// Runs one service binary and ties its life to the parent's: the parent holds our stdin open,
// and when it dies for any reason (SIGKILL included) the pipe closes and we stop the service.
// Usage: node watchdog.mjs <logFile> <binary> [args...]
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';

const [logFile, binary, ...args] = process.argv.slice(2);
const out = openSync(logFile, 'a');
const child = spawn(binary, args, { stdio: ['ignore', out, out] });
let stopping = false;

function stop(signal) {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
  // A service that ignores SIGTERM for 10 s is killed.
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
}

child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
process.stdin.on('end', () => stop('SIGTERM'));
process.stdin.on('error', () => stop('SIGTERM'));
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => stop('SIGTERM'));
// SIGUSR2: crash the service (SIGKILL, no shutdown of its own), as the fault tests need.
process.on('SIGUSR2', () => stop('SIGKILL'));
