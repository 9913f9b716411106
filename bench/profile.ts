// CPU profiles of Tally's measured phases through the inspector: the same .cpuprofile that
// `node --cpu-prof` writes (open it in Chrome DevTools or speedscope), but covering only the
// phase, not start-up or the baselines that run in this process too. A summary of where the
// samples landed goes into the report, so BENCHMARKS.md can cite it.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';

/** The repository root as a file URL, stripped from profile locations. */
const ROOT_URL = new URL('..', import.meta.url).href;

export interface HotSpot {
  readonly name: string;
  /** Share of all samples, %. */
  readonly selfPct: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Self time by area: a project folder, a package, node internals, GC, idle. */
  readonly byArea: readonly HotSpot[];
  /** Self time by function (`fn url:line`). */
  readonly byFunction: readonly HotSpot[];
}

function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  if (url.startsWith('node:') || url === '') return 'node internals';
  const folder = /\/(ingest|api|processors|projections|scripts|bench|streams\.config\.ts)(\/|$)/.exec(url);
  return folder?.[1] !== undefined ? `tally ${folder[1]}/` : 'other';
}

function top(map: Map<string, number>, total: number, n: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, selfPct: Math.round((hits * 1000) / total) / 10 }));
}

export function summarizeProfile(profile: Profiler.Profile, file: string): ProfileSummary {
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName === '' ? '(anonymous)' : functionName;
    const area = areaOf(url, fn);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules\/)/, '$1').replace(ROOT_URL, '')}:${lineNumber + 1}`;
    byFunction.set(`${fn}${where}`, (byFunction.get(`${fn}${where}`) ?? 0) + hits);
  }
  return { file, byArea: top(byArea, Math.max(1, total), 12), byFunction: top(byFunction, Math.max(1, total), 15) };
}

/** Runs `fn` under the sampling profiler and writes the profile to `file`. */
export async function withCpuProfile<T>(file: string, fn: () => Promise<T>): Promise<{ result: T; summary: ProfileSummary }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const result = await fn();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    return { result, summary: summarizeProfile(profile, file) };
  } finally {
    session.disconnect();
  }
}
