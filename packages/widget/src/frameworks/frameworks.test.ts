/**
 * What the typings name works at run time: each framework renders `<caisse-checkout>` as
 * the README shows it, and a payment goes through, from the pay button (the ticket and
 * `messages` set by the framework) to the framework's `caisse:paid` listener (the
 * result verified at the `verify-url` it set). Svelte cannot mount here (this
 * environment resolves its server build), so its compiled output is read instead.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { h, render } from 'preact';
import { createElement } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { compile } from 'svelte/compiler';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, h as vueH } from 'vue';
import { type CaisseCheckoutElement, defineCheckoutElement } from '../element.js';
import { fr } from '../locales/fr.js';
import {
  captureForms,
  deliver,
  fakePopup,
  makeTicket,
  SERVER,
  shadow,
  TOKEN,
  useTestClock,
  VERIFY_URL,
  VOUCHER,
  verifyEndpoint,
} from '../test-support.js';
import type { CheckoutEventMap } from '../types.js';
import { isCustomElement } from './vue.js';

verifyEndpoint();
useTestClock();

const MESSAGES = { pay: 'Buy for {amount}' };
let container: HTMLElement;

beforeAll(() => defineCheckoutElement('caisse-checkout', { fr }));

afterEach(() => {
  container?.remove();
});

/** Listeners to hand to a framework, and what they received. */
function listeners() {
  const states: string[] = [];
  let resolvePaid: (event: CheckoutEventMap['caisse:paid']) => void = () => {};
  const paid = new Promise<CheckoutEventMap['caisse:paid']>((resolve) => {
    resolvePaid = resolve;
  });
  return {
    onPaid: (event: CheckoutEventMap['caisse:paid']) => resolvePaid(event),
    onState: (event: CheckoutEventMap['caisse:state']) => states.push(event.detail.state),
    paid,
    states,
  };
}

/** A fresh element to render into. */
function mountPoint(): HTMLElement {
  container = document.body.appendChild(document.createElement('div'));
  return container;
}

/** Pays with the `<caisse-checkout>` the framework rendered, in popup mode, until the voucher is verified. */
async function pay(): Promise<CaisseCheckoutElement> {
  await Promise.resolve();
  const element = container.querySelector('caisse-checkout') as CaisseCheckoutElement;
  expect(element.messages).toEqual(MESSAGES);
  const payButton = shadow(element).querySelector<HTMLButtonElement>('.pay');
  expect(payButton?.textContent).toBe('Buy for €15.90');
  captureForms();
  const popup = fakePopup();
  payButton?.click();
  deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
  return element;
}

describe('<caisse-checkout> rendered by', () => {
  it('React 19: the attributes, `messages` as a property, `oncaisse:*` as listeners', async () => {
    const { onPaid, onState, paid, states } = listeners();
    const root = createRoot(mountPoint());
    flushSync(() =>
      root.render(
        createElement('caisse-checkout', {
          ticket: makeTicket(),
          server: SERVER,
          mode: 'popup',
          'verify-url': VERIFY_URL,
          lang: 'en',
          messages: MESSAGES,
          'oncaisse:paid': onPaid,
          'oncaisse:state': onState,
        }),
      ),
    );
    const element = await pay();
    expect((await paid).detail.voucher).toEqual(VOUCHER);
    expect(states).toEqual(['opening', 'waiting', 'verifying', 'paid']);
    expect(element.getAttribute('verify-url')).toBe(VERIFY_URL);
    root.unmount();
  });

  it('React 19, quote mode: `state` set as the element property, the rest as attributes, all in the form to /quote', async () => {
    const posted = captureForms();
    const root = createRoot(mountPoint());
    const state = 'q'.repeat(43);
    flushSync(() =>
      root.render(
        createElement('caisse-checkout', { server: SERVER, merchant: 'newsstand', item: 'tides', quantity: 2, state, lang: 'en' }),
      ),
    );
    await Promise.resolve();
    const element = container.querySelector('caisse-checkout') as CaisseCheckoutElement;
    expect(element.hasAttribute('state')).toBe(false);
    shadow(element).querySelector<HTMLButtonElement>('.pay')?.click();
    expect(posted[0]).toMatchObject({
      action: `${SERVER}/quote`,
      fields: { merchant: 'newsstand', item: 'tides', quantity: '2', state, lang: 'en' },
    });
    root.unmount();
  });

  it('Preact: the same', async () => {
    const { onPaid, onState, paid, states } = listeners();
    render(
      h('caisse-checkout', {
        ticket: makeTicket(),
        server: SERVER,
        mode: 'popup',
        'verify-url': VERIFY_URL,
        lang: 'en',
        messages: MESSAGES,
        'oncaisse:paid': onPaid,
        'oncaisse:state': onState,
      }),
      mountPoint(),
    );
    await pay();
    expect((await paid).detail.voucher).toEqual(VOUCHER);
    expect(states).toEqual(['opening', 'waiting', 'verifying', 'paid']);
    render(null, container);
  });

  // vue-tsc checks `verify-url` as `verifyUrl`, so a template may say either.
  it.each(['verify-url', 'verifyUrl'])(
    'Vue 3, from a template compiled with isCustomElement: no component lookup, `@caisse:*` listeners, %s',
    async (verifyUrl) => {
      const { onPaid, onState, paid, states } = listeners();
      const warnings: string[] = [];
      const app = createApp({
        template: `<caisse-checkout :ticket="ticket" :server="server" mode="popup" ${verifyUrl}="${VERIFY_URL}" lang="en" :messages="messages" @caisse:paid="onPaid" @caisse:state="onState" />`,
        setup: () => ({ ticket: makeTicket(), server: SERVER, messages: MESSAGES, onPaid, onState }),
      });
      app.config.compilerOptions.isCustomElement = isCustomElement;
      app.config.warnHandler = (message) => warnings.push(message);
      app.mount(mountPoint());
      await pay();
      expect((await paid).detail.voucher).toEqual(VOUCHER);
      expect(states).toEqual(['opening', 'waiting', 'verifying', 'paid']);
      expect(warnings).toEqual([]);
      app.unmount();
    },
  );

  it('Vue 3, from TSX or a render function: `onCaisse:*` listeners, the attributes as written', async () => {
    const { onPaid, onState, paid, states } = listeners();
    const app = createApp({
      render: () =>
        vueH('caisse-checkout', {
          ticket: makeTicket(),
          server: SERVER,
          mode: 'popup',
          'verify-url': VERIFY_URL,
          lang: 'en',
          messages: MESSAGES,
          'onCaisse:paid': onPaid,
          'onCaisse:state': onState,
        }),
    });
    app.mount(mountPoint());
    await pay();
    expect((await paid).detail.voucher).toEqual(VOUCHER);
    expect(states).toEqual(['opening', 'waiting', 'verifying', 'paid']);
    app.unmount();
  });

  it('Svelte 5: `oncaisse:*` compile to listeners of `caisse:*`, the attributes to custom element data', () => {
    const source = readFileSync(fileURLToPath(import.meta.resolve('../../fixtures/svelte/Checkout.svelte')), 'utf8');
    const { js, warnings } = compile(source, { generate: 'client', filename: 'Checkout.svelte' });
    expect(warnings.map(({ code }) => code)).toEqual([]);
    for (const event of ['caisse:paid', 'caisse:state', 'caisse:error']) expect(js.code).toContain(`$.event('${event}', caisse_checkout,`);
    expect(js.code).toContain(`$.set_custom_element_data(caisse_checkout, 'verify-url', '/caisse/return')`);
    expect(js.code).toMatch(/\$\.set_custom_element_data\(caisse_checkout, 'messages', /);
  });
});

describe('isCustomElement', () => {
  it('is true for the Caisse tags only', () => {
    expect(['caisse-checkout', 'caisse-later', 'my-checkout', 'div', 'Caisse'].map(isCustomElement)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
