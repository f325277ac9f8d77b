import { describe, expect, it } from 'vitest';
import { createState, ensureState, readStateCookie, STATE_COOKIE, stateCookie } from './state.js';

describe('browser-session state', () => {
  it('creates 256-bit random states that tickets accept', () => {
    const state = createState();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createState()).not.toBe(state);
  });

  it('sets an HttpOnly, SameSite=Lax, Secure cookie by default', () => {
    expect(stateCookie('s'.repeat(43))).toBe(
      `${STATE_COOKIE}=${'s'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400`.concat('; Secure'),
    );
    expect(stateCookie('s'.repeat(43), { secure: false })).not.toContain('Secure');
  });

  it('reads the state back from a request, ignoring other and malformed cookies', () => {
    const state = createState();
    const request = new Request('https://shop.example/paid', { headers: { cookie: `session=abc; ${STATE_COOKIE}=${state}; theme=dark` } });
    expect(readStateCookie(request)).toBe(state);
    expect(readStateCookie(`${STATE_COOKIE}=short`)).toBeUndefined();
    expect(readStateCookie(undefined)).toBeUndefined();
  });

  it('reuses the browser state so several tabs share it, and makes one otherwise', () => {
    const state = createState();
    expect(ensureState(new Request('https://shop.example/', { headers: { cookie: `${STATE_COOKIE}=${state}` } }))).toEqual({ state });
    const fresh = ensureState(new Request('https://shop.example/'));
    expect(fresh.setCookie).toContain(fresh.state);
  });
});
