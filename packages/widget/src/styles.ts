/**
 * The widget's only styles, scoped to its shadow root. Theme variables are read with
 * their defaults inline (`var(--caisse-accent,#0b57d0)`); every default colour passes
 * WCAG 2.2 AA contrast (4.5:1) against its background, which `styles.test.ts` checks.
 * Forced-colours mode keeps every control visible: each has a border. Each line ends with
 * `\` so that the rules read one per line here and ship without newlines.
 */
export const CSS = `:host{display:inline-block;font-family:var(--caisse-font,system-ui,sans-serif);color:var(--caisse-text,#1f1f1f);--a:var(--caisse-accent,#0b57d0);--b:var(--caisse-surface,#fff);--m:var(--caisse-muted,#474747);--r:var(--caisse-radius,8px)}\
:host([hidden]){display:none}\
div{display:grid;gap:.5em}\
p,ul,h2{margin:0}\
ul{padding:0;list-style:none}\
li{display:flex;justify-content:space-between}\
button{font:inherit;min-height:44px;padding:0 1em;border:2px solid;border-radius:var(--r);background:var(--b);color:var(--a)}\
.pay{border-color:var(--a);background:var(--a);color:var(--caisse-accent-text,#fff);font-weight:600}\
:disabled{border-color:var(--m);background:var(--m)}\
.link{justify-self:start;min-height:24px;padding:0;border:0;text-decoration:underline}\
.link::before{content:"▸ "}\
[aria-expanded=true]::before{content:"▾ "}\
:focus-visible{outline:3px solid var(--caisse-focus,#1f1f1f);outline-offset:2px}\
.meta{color:var(--m)}\
[data-tone=bad]{color:var(--caisse-error,#b3261e)}\
[data-tone=good]{color:var(--caisse-success,#146c2e)}\
.o{position:fixed;inset:0;z-index:2147483647;place-items:center;padding:1em;background:#0009}\
.d{max-width:26em;padding:1.5em;border-radius:var(--r);background:var(--b)}`;

/**
 * Puts the styles into the shadow root as a constructed stylesheet: CSP `style-src`
 * governs `<style>` elements and `style` attributes, not constructed sheets, so a strict
 * policy needs no `'unsafe-inline'`. Browsers without constructed sheets (before Safari
 * 16.4) get a `<style>` element carrying the page's `nonce`, if it gave one.
 */
export function applyStyles(root: ShadowRoot, nonce?: string): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = root.appendChild(document.createElement('style'));
    style.nonce = nonce ?? '';
    style.textContent = CSS;
  }
}
