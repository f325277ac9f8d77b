import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listen } from './handlers/__fixtures__/listen.js';
import { createState, ensureState, readStateCookie, STATE_COOKIE, stateCookie, stateOf } from './state.js';

describe('browser-session state', () => {
  it('creates 256-bit random secrets whose states tickets accept', () => {
    const secret = createState();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createState()).not.toBe(secret);
    expect(stateOf(secret)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stateOf(secret)).not.toBe(secret);
  });

  it('sets an HttpOnly, SameSite=Lax, Secure cookie by default', () => {
    expect(stateCookie('s'.repeat(43))).toBe(`${STATE_COOKIE}=${'s'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure`);
    expect(stateCookie('s'.repeat(43), { secure: false })).not.toContain('Secure');
  });

  it('reads the state of the browser from its cookie, ignoring other and malformed cookies', () => {
    const secret = createState();
    const request = new Request('https://shop.example/paid', { headers: { cookie: `session=abc; ${STATE_COOKIE}=${secret}; theme=dark` } });
    expect(readStateCookie(request)).toBe(stateOf(secret));
    expect(readStateCookie(`${STATE_COOKIE}=short`)).toBeUndefined();
    expect(readStateCookie(undefined)).toBeUndefined();
  });

  it("reads it from Node's IncomingMessage (Express, Fastify, Koa), from headers of either kind, and from a Cookie header", async () => {
    const secret = createState();
    const cookie = `theme=dark; ${STATE_COOKIE}=${secret}`;
    const seen: (string | undefined)[] = [];
    const server = await listen((req: IncomingMessage, res) => {
      seen.push(readStateCookie(req), ensureState(req).state, readStateCookie(req.headers));
      res.end();
    });
    try {
      await fetch(server.origin, { headers: { cookie } });
    } finally {
      await server.close();
    }
    expect(seen).toEqual([stateOf(secret), stateOf(secret), stateOf(secret)]);
    expect(readStateCookie(new Headers({ cookie }))).toBe(stateOf(secret));
    expect(readStateCookie({ headers: { cookie: ['theme=dark', `${STATE_COOKIE}=${secret}`] } })).toBe(stateOf(secret));
    expect(readStateCookie(cookie)).toBe(stateOf(secret));
    expect(readStateCookie({ headers: {} })).toBeUndefined();
    expect(readStateCookie(new Headers())).toBeUndefined();
    expect(readStateCookie(null)).toBeUndefined();
  });

  it('gives a thief who reads the state in a voucher nothing to put in a cookie', () => {
    const secret = createState();
    const state = stateOf(secret);
    expect(readStateCookie(`${STATE_COOKIE}=${state}`)).not.toBe(state);
  });

  it('reuses the browser state so several tabs share it, and makes one otherwise', () => {
    const secret = createState();
    expect(ensureState(new Request('https://shop.example/', { headers: { cookie: `${STATE_COOKIE}=${secret}` } }))).toEqual({
      state: stateOf(secret),
    });
    const fresh = ensureState(new Request('https://shop.example/'));
    const cookieSecret = /caisse_state=([^;]+)/.exec(fresh.setCookie ?? '')?.[1] ?? '';
    expect(stateOf(cookieSecret)).toBe(fresh.state);
  });
});
