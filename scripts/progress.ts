// A progress line for long CLI work: a bar redrawn in place on a terminal, one line every few
// seconds otherwise (CI logs, pipes).
const WIDTH = 30;

export interface ProgressSample {
  readonly done: number;
  readonly total: number;
  readonly ratePerS: number;
  readonly etaS: number | null;
}

const fmt = new Intl.NumberFormat('en-US');

function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
  return `${Math.floor(s / 3_600)} h ${Math.ceil((s % 3_600) / 60)} min`;
}

/** One rendered line: `[#####.....]  45.2 %  12,345 / 27,300 events  3,412 events/s  ETA 43 s`. */
export function progressLine(label: string, p: ProgressSample): string {
  const ratio = p.total === 0 ? 0 : Math.min(1, p.done / p.total);
  const filled = Math.round(ratio * WIDTH);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
  return `${label} [${bar}] ${(ratio * 100).toFixed(1).padStart(5)} %  ${fmt.format(p.done)} / ${fmt.format(p.total)} events  ${fmt.format(Math.round(p.ratePerS))} events/s  ETA ${duration(p.etaS)}`;
}

/** `plainEveryMs`: how often a line is printed when `out` is not a terminal. */
export function progressPrinter(out: NodeJS.WriteStream, label: string, plainEveryMs: number): { update(p: ProgressSample): void; end(text: string): void } {
  let lastPlainMs = 0;
  return {
    update(p) {
      if (out.isTTY) {
        out.write(`\r${progressLine(label, p)}\x1b[K`);
      } else if (Date.now() - lastPlainMs >= plainEveryMs) {
        lastPlainMs = Date.now();
        out.write(`${progressLine(label, p)}\n`);
      }
    },
    end(text) {
      out.write(`${out.isTTY ? '\r\x1b[K' : ''}${text}\n`);
    },
  };
}
