// The browser the page tests drive: Debian's `chromium` package (playwright-core downloads nothing).
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Throws one line naming the missing prerequisite when Chromium is not installed. */
export function assertChromiumInstalled(path: string = CHROMIUM): void {
  if (!existsSync(path)) throw new Error(`Chromium not found at ${path}: install it (README, Prerequisites: apt-get install chromium)`);
}
