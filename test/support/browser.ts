// A browser stand-in for the dashboard's forms: real HTTP (fetch), a cookie jar, no automatic
// redirects (tests read each 302), form posts, and the `_csrf` field read from a page.
export interface Page {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
  /** Raw Set-Cookie lines of this answer. */
  readonly setCookies: readonly string[];
}

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private async request(path: string, init: RequestInit): Promise<Page> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(new URL(path, this.baseUrl), {
      ...init,
      redirect: 'manual',
      headers: { ...(cookie === '' ? {} : { cookie }), ...(init.headers as Record<string, string>) },
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get('location') ?? undefined, body: await res.text(), setCookies };
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(path, { method: 'GET', headers });
  }

  /** Posts a form (`application/x-www-form-urlencoded`). */
  post(path: string, form: Readonly<Record<string, string>>, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(path, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    });
  }
}

/** The value of the page's hidden `_csrf` field. */
export function csrfOf(page: Page): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page.body);
  if (m?.[1] === undefined) throw new Error(`no _csrf field in: ${page.body}`);
  return m[1];
}

/** A link's path and query (links in mails carry `api.publicUrl`, the test server listens elsewhere). */
export const pathOf = (link: string): string => {
  const u = new URL(link);
  return `${u.pathname}${u.search}`;
};
