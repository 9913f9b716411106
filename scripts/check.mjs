// `npm run check`: typecheck, lint and the formatting check at once (they read the same files
// and each leaves a core idle part of the time); each one's output is printed when it ends, and
// the exit code is the first failure's. npm test runs this before any test.
import { spawn } from 'node:child_process';

const TASKS = ['typecheck', 'lint', 'format:check'];

function run(task) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', task], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      process.stdout.write(`> ${task}: ${code === 0 ? 'ok' : `failed (exit ${code})`}\n${out}`);
      resolve(code ?? 1);
    });
  });
}

const codes = await Promise.all(TASKS.map(run));
process.exitCode = codes.find((c) => c !== 0) ?? 0;
