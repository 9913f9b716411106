// CPU used by each process of a measurement (Tally, load generator, nats-server, FerretDB),
// from /proc on Linux: on a 2-core machine this tells which process is the bottleneck.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessProbe {
  readonly name: string;
  readonly pid: number;
}

/** Linux USER_HZ; /proc reports CPU time in these ticks (100 on every mainstream kernel). */
const TICKS_PER_S = 100;

function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Not Linux, or the process is gone: the CPU column is simply left out.
    return undefined;
  }
  // The command name may contain spaces; fields after its closing parenthesis are fixed.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a process, ms; undefined when /proc is unavailable. */
export function cpuTimeMs(pid: number): number | undefined {
  const f = statFields(pid);
  if (f === undefined) return undefined;
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S;
}

/** The real server under a watchdog (scripts/watchdog.mjs runs each service as its child). */
export function childPid(parentPid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    // No /proc (not Linux): no per-service CPU figures.
    return undefined;
  }
  for (const e of entries) {
    if (Number(statFields(Number(e))?.[1]) === parentPid) return Number(e);
  }
  return undefined;
}

/** Busy CPU time of the whole machine (all cores, everything but idle and iowait), ms. */
function machineBusyMs(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    // Not Linux: no "other" column.
    return undefined;
  }
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_S;
}

export type CpuSnapshot = ReadonlyMap<string, number>;

const MACHINE = '(machine)';

export function snapshot(probes: readonly ProcessProbe[]): CpuSnapshot {
  const out = new Map<string, number>();
  for (const p of probes) {
    const ms = cpuTimeMs(p.pid);
    if (ms !== undefined) out.set(p.name, ms);
  }
  const busy = machineBusyMs();
  if (busy !== undefined) out.set(MACHINE, busy);
  return out;
}

/**
 * CPU used between two snapshots, as % of one core (200 % = both cores of this machine).
 * `other` is everything else on the machine: noise from outside the bench shows up there.
 */
export function cpuPercent(before: CpuSnapshot, after: CpuSnapshot, elapsedMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  let ours = 0;
  for (const [name, ms] of after) {
    const start = before.get(name);
    if (start === undefined || elapsedMs <= 0 || name === MACHINE) continue;
    ours += ms - start;
    out[name] = Math.round(((ms - start) * 100) / elapsedMs);
  }
  const machineStart = before.get(MACHINE);
  const machineEnd = after.get(MACHINE);
  if (machineStart !== undefined && machineEnd !== undefined && elapsedMs > 0) {
    out.other = Math.max(0, Math.round(((machineEnd - machineStart - ours) * 100) / elapsedMs));
  }
  return out;
}

export const formatCpu = (cpu: Readonly<Record<string, number>>): string =>
  Object.entries(cpu)
    .map(([name, pct]) => `${name} ${pct}%`)
    .join(', ');
