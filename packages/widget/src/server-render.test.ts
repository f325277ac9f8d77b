// @vitest-environment node
/**
 * Server rendering: Next.js, Nuxt, SvelteKit, Astro and the like run a page's modules in
 * Node too, where there is no `window`, `customElements` or `HTMLElement`. Importing the
 * widget there and calling `defineCheckoutElement()` at the top of a module must do
 * nothing; the same module, run in the browser, defines the element.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { Window } from 'happy-dom';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { fr } from './locales/fr.js';

type Widget = typeof import('./index.js');
/** By package name, through the exports map, as a merchant's server imports it. A variable: the typecheck must not need dist/. */
const PACKAGE: string = '@caisse/widget';
const load = (subpath = '') => import(/* @vite-ignore */ `${PACKAGE}${subpath}`) as Promise<Record<string, unknown>>;

describe('in Node, without a DOM', () => {
  it('there is none', () => {
    expect([typeof window, typeof document, typeof customElements, typeof HTMLElement]).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
  });

  it.each([
    ['the built entry (dist/index.js)', () => load() as Promise<Widget>],
    ['the source entry (src/index.ts)', () => import('./index.js')],
  ])('%s imports, and defineCheckoutElement() does nothing', async (_, entry) => {
    const { defineCheckoutElement } = await entry();
    expect(defineCheckoutElement()).toBeUndefined();
    expect(defineCheckoutElement('caisse-checkout', { fr })).toBeUndefined();
    expect(typeof customElements).toBe('undefined');
  });

  it('every other entry imports', async () => {
    const entries = ['/return', '/locales/fr', '/react', '/preact', '/vue', '/svelte'];
    const exported = await Promise.all(entries.map(async (subpath) => Object.keys(await load(subpath)).sort()));
    expect(Object.fromEntries(entries.map((subpath, index) => [subpath, exported[index]]))).toEqual({
      '/return': ['handleReturn'],
      '/locales/fr': ['fr'],
      // Types only, but a bundler or `import '@caisse/widget/react'` finds a module.
      '/react': [],
      '/preact': [],
      '/vue': ['isCustomElement'],
      '/svelte': [],
    });
  });

  it('the script-tag file runs, defining only window.Caisse', () => {
    const code = readFileSync(fileURLToPath(import.meta.resolve('../dist/caisse.js')), 'utf8');
    const page = createContext({});
    runInContext(code, page);
    expect(Object.keys(page)).toEqual(['Caisse']);
    expect(Object.keys(page.Caisse).sort()).toEqual(['handleReturn', 'mount', 'version']);
  });

  it('React renders the element to HTML: the attributes, without the properties and listeners', () => {
    const html = renderToString(
      createElement('caisse-checkout', {
        ticket: 'eyJ.x.y',
        server: 'https://pay.example',
        mode: 'popup',
        'verify-url': '/caisse/return',
        messages: { pay: 'Buy {amount}' },
        locales: { fr },
        'oncaisse:paid': () => {},
      }),
    );
    expect(html).toBe(
      '<caisse-checkout ticket="eyJ.x.y" server="https://pay.example" mode="popup" verify-url="/caisse/return"></caisse-checkout>',
    );
  });

  it('and once the same module runs where there is a DOM, defineCheckoutElement() defines the element', async () => {
    const { defineCheckoutElement } = await import('./index.js');
    defineCheckoutElement();
    const browser = new Window({ url: 'https://shop.example/checkout' });
    const globals = globalThis as { customElements?: CustomElementRegistry; HTMLElement?: typeof HTMLElement };
    Object.assign(globals, { customElements: browser.customElements, HTMLElement: browser.HTMLElement });
    try {
      defineCheckoutElement();
      const Element = browser.customElements.get('caisse-checkout');
      expect(Element).toBeTypeOf('function');
      const element = browser.document.createElement('caisse-checkout');
      expect(element).toBeInstanceOf(Element as unknown as CustomElementConstructor);
      expect((element as unknown as HTMLElementTagNameMap['caisse-checkout']).state).toBe('idle');
    } finally {
      delete globals.customElements;
      delete globals.HTMLElement;
      await browser.happyDOM.close();
    }
  });
});
