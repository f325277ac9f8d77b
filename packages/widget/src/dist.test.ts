/**
 * The built files, run as a merchant page runs them (as preact/signals re-runs its suite
 * on the minified build): what ships must work, not only the sources.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { captureForms, makeTicket, SERVER, shadow, TOKEN, useTestClock, VERIFY_URL, VOUCHER, verifyEndpoint } from './test-support.js';

verifyEndpoint();

useTestClock();

afterEach(() => {
  document.body.replaceChildren();
});

describe('dist/caisse.js (script tag)', () => {
  it('defines <caisse-checkout> and window.Caisse, and loading it twice changes nothing', async () => {
    const code = readFileSync(fileURLToPath(import.meta.resolve('../dist/caisse.js')), 'utf8');
    // Test-only: runs the file as a classic script would, in the page's global scope.
    const run = new Function(code);
    run();
    const global = window as unknown as { Caisse: { mount: unknown; handleReturn: unknown; version: string } };
    const first = global.Caisse;
    run();
    expect(global.Caisse).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first.version).toBe('0.1.0');
    expect(Object.keys(first).sort()).toEqual(['handleReturn', 'mount', 'version']);

    const posted = captureForms();
    document.body.innerHTML = `<caisse-checkout ticket="${makeTicket()}" server="${SERVER}" lang="fr"></caisse-checkout>`;
    await Promise.resolve();
    const element = document.querySelector('caisse-checkout') as HTMLElement;
    const pay = shadow(element).querySelector('button') as HTMLButtonElement;
    expect(pay.textContent).toBe('Payer 15,90\u00a0€');
    pay.click();
    expect(posted).toEqual([{ action: `${SERVER}/pay`, method: 'post', target: '', fields: { ticket: makeTicket() }, connected: true }]);

    // French is built in for Caisse.mount too.
    const host = document.body.appendChild(document.createElement('div'));
    const caisse = first as unknown as { mount: typeof import('./checkout.js').mount };
    const handle = caisse.mount(host, { ticket: makeTicket(), server: SERVER, lang: 'fr-CA' });
    expect(shadow(host).querySelector('button')?.textContent).toMatch(/^Payer 15,90/);
    handle.destroy();
  });
});

describe('@caisse/widget, @caisse/widget/return and @caisse/widget/locales/fr (ESM)', () => {
  it('mounts the button, in French when given French, and handles the return', async () => {
    // By package name, through the exports map. A variable, not a literal: the typecheck
    // must not depend on a build running beside it.
    const name: string = '@caisse/widget';
    const widget = (await import(/* @vite-ignore */ name)) as typeof import('./index.js');
    const { fr } = (await import(/* @vite-ignore */ `${name}/locales/fr`)) as typeof import('./locales/fr.js');
    const { handleReturn } = (await import(/* @vite-ignore */ `${name}/return`)) as typeof import('./return.js');
    expect(Object.keys(widget).sort()).toEqual(['defineCheckoutElement', 'en', 'mount']);
    const host = document.body.appendChild(document.createElement('div'));
    let handle = widget.mount(host, { ticket: makeTicket(), server: SERVER, lang: 'fr' });
    expect(shadow(host).querySelector('button')?.textContent).toBe('Pay 15,90\u00a0€');
    handle.destroy();
    handle = widget.mount(host, { ticket: makeTicket(), server: SERVER, lang: 'fr', locales: { fr } });
    expect(shadow(host).querySelector('button')?.textContent).toBe('Payer 15,90\u00a0€');
    handle.destroy();

    history.replaceState(null, '', `/caisse/return?caisse_voucher=${TOKEN}`);
    expect(await handleReturn({ verifyUrl: VERIFY_URL })).toEqual({ status: 'paid', voucher: VOUCHER, redirectTo: undefined });
    expect(location.search).toBe('');
  });
});
