// The browser the page tests drive: Debian's `chromium` package (playwright-core downloads nothing).
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';

export const CHROMIUM = '/usr/bin/chromium';

/** Throws one line naming the missing prerequisite when Chromium is not installed. */
export function assertChromiumInstalled(path: string = CHROMIUM): void {
  if (!existsSync(path)) throw new Error(`Chromium not found at ${path}: install it (README, Prerequisites: apt-get install chromium)`);
}

/** A test web site on a free port: `/countly.js` answers the SDK's source, every other path the page. */
export interface SdkSite {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveSdkSite(sdkSource: string, page: string): Promise<SdkSite> {
  const site = createServer((req, res) => {
    if (req.url === '/countly.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdkSource);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const addr = site.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`,
    close: () => new Promise<void>((resolve) => site.close(() => resolve())),
  };
}
