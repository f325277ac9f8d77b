/**
 * A browser for HTTP tests that cross origins: keeps cookies per origin (name=value is
 * enough for the stores and the payment server), follows redirects like a browser (a 303
 * turns a POST into a GET), sends `Origin` on POST, and says where it ended up and every
 * address it went through on the way (`hops`, as a browser's network log shows them).
 * `stopAt` plays a browser that never arrives (a tab closed, a lost connection): the
 * redirect to an address it accepts is not followed, and `url` is where it would have gone.
 * @example const page = await new HttpBrowser().go(`${payUrl}/pay`, { form: { ticket }, origin: shopUrl })
 */
export class HttpBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  private jar(origin: string) {
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    return jar;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jar(origin).get(name);
  }

  async go(
    url: string,
    init: {
      form?: Record<string, string>;
      json?: unknown;
      method?: string;
      origin?: string;
      headers?: Record<string, string>;
      stopAt?: (next: URL) => boolean;
    } = {},
  ): Promise<{ url: URL; status: number; html: string; response: Response; hops: URL[] }> {
    let target = new URL(url);
    let method = init.method ?? (init.form || init.json !== undefined ? 'POST' : 'GET');
    let body: string | undefined = init.form
      ? new URLSearchParams(init.form).toString()
      : init.json === undefined
        ? undefined
        : JSON.stringify(init.json);
    let type = init.form ? 'application/x-www-form-urlencoded' : 'application/json';
    let from = init.origin ?? target.origin;
    const hops: URL[] = [];
    for (let hop = 0; hop < 12; hop++) {
      hops.push(target);
      const jar = this.jar(target.origin);
      const headers: Record<string, string> = {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        'accept-language': 'en',
        ...init.headers,
      };
      if (body !== undefined) headers['content-type'] = type;
      if (method === 'POST') headers.origin = from;
      const response = await fetch(target, { method, headers, body, redirect: 'manual' });
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';');
        const at = pair.indexOf('=');
        const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
        if (expired) jar.delete(pair.slice(0, at).trim());
        else jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, target);
        if (init.stopAt?.(next)) return { url: next, status: response.status, html: '', response, hops };
        from = target.origin;
        target = next;
        if (response.status === 303 || method === 'POST') {
          method = 'GET';
          body = undefined;
          type = '';
        }
        continue;
      }
      return { url: target, status: response.status, html: await response.text(), response, hops };
    }
    throw new Error('too many redirects');
  }

  /** The hidden CSRF field of a page's form. */
  static csrf(html: string): string {
    const match = /name="csrf" value="([^"]+)"/.exec(html);
    if (!match?.[1]) throw new Error('no csrf field on the page');
    return match[1];
  }

  /** The absolute action of the form posting to a path ending with `suffix`. */
  static action(page: { url: URL; html: string }, suffix: string): string {
    const match = new RegExp(`action="([^"]*${suffix})"`).exec(page.html);
    if (!match?.[1]) throw new Error(`no form posting to …${suffix}`);
    return new URL(match[1].replace(/&amp;/g, '&'), page.url).toString();
  }
}
