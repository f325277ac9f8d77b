/**
 * A scripted browser for end-to-end tests: keeps cookies per origin, follows redirects
 * within the payment server, and stops at the first redirect that leaves it (the
 * merchant's return or cancel URL), the way a real browser would arrive there.
 */
export class ScriptedBrowser {
  private readonly cookies = new Map<string, string>();
  /** `headers` go with every request (e.g. the `X-Forwarded-For` a proxy would add). */
  constructor(
    private readonly origin: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The Cookie header this browser sends to the payment server (for requests `go` does not make, such as an event stream). */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (name && value !== undefined) this.cookies.set(name.trim(), value.trim());
    }
  }

  /** Sends a request and follows same-origin redirects; returns the last page, or where the browser was sent off-site. */
  async go(
    url: string,
    init: { method?: string; form?: Record<string, string>; origin?: string } = {},
  ): Promise<{ page?: Response; html?: string; leftTo?: URL }> {
    let target = new URL(url, this.origin);
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: URLSearchParams | undefined = init.form ? new URLSearchParams(init.form) : undefined;
    for (let hop = 0; hop < 10; hop++) {
      const headers: Record<string, string> = { ...this.headers, cookie: this.cookieHeader(), 'accept-language': 'en' };
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (method === 'POST') headers.origin = init.origin ?? this.origin;
      const response = await fetch(target, { method, headers, body, redirect: 'manual' });
      this.keep(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        target = new URL(location, target);
        if (target.origin !== this.origin) return { leftTo: target, page: response };
        method = 'GET';
        body = undefined;
        continue;
      }
      return { page: response, html: await response.text() };
    }
    throw new Error('too many redirects');
  }

  /** The hidden CSRF field of the page's first form. */
  static csrf(html: string | undefined): string {
    const match = /name="csrf" value="([^"]+)"/.exec(html ?? '');
    if (!match?.[1]) throw new Error('no csrf field on the page');
    return match[1];
  }

  /** The action of the form posting to a path ending with `suffix`. */
  static action(html: string | undefined, suffix: string): string {
    const match = new RegExp(`action="([^"]*${suffix})"`).exec(html ?? '');
    if (!match?.[1]) throw new Error(`no form posting to …${suffix}`);
    return match[1].replace(/&amp;/g, '&');
  }
}
