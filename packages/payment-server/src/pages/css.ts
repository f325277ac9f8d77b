import { createHash } from 'node:crypto';

/**
 * The one stylesheet of the hosted pages. The routes serve it at {@link CHECKOUT_CSS_PATH}
 * (`text/css; charset=utf-8`, `Cache-Control: public, max-age=31536000, immutable`), and
 * pages link it as {@link CHECKOUT_CSS_HREF}: the `?v=` part changes whenever the text
 * does, so a cached old copy is never used with new markup. Pages also carry its
 * Subresource Integrity hash, so the exact bytes of this string must be served.
 *
 * No inline styles anywhere (CSP `style-src 'self'`), no web fonts, no remote resources.
 * Colours are custom properties, checked for contrast by `css.test.ts` in both schemes:
 * text ≥ 4.5:1, focus ring and input borders ≥ 3:1. Controls are at least 44 px high.
 */
export const CHECKOUT_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff;
  --surface: #f3f4f6;
  --fg: #1b1f24;
  --muted: #4b5563;
  --rule: #d1d5db;
  --border: #6b7280;
  --link: #0a58ca;
  --primary: #0a58ca;
  --primary-fg: #ffffff;
  --danger: #b3261e;
  --focus: #0a58ca;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  line-height: 1.5;
  -webkit-text-size-adjust: 100%;
  text-size-adjust: 100%;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418;
    --surface: #1c2127;
    --fg: #eef0f3;
    --muted: #b6bec9;
    --rule: #323942;
    --border: #8b95a1;
    --link: #8ab4ff;
    --primary: #8ab4ff;
    --primary-fg: #0b1220;
    --danger: #ff8a80;
    --focus: #8ab4ff;
  }
}

*,
*::before,
*::after {
  box-sizing: border-box;
}

body {
  margin: 0;
  min-width: 320px;
  background: var(--bg);
  color: var(--fg);
  font-size: 1rem;
  overflow-wrap: anywhere;
}

a {
  color: var(--link);
  text-underline-offset: 0.15em;
}

:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}

.skip-link {
  position: absolute;
  left: 0.5rem;
  top: 0.5rem;
  z-index: 10;
  display: inline-flex;
  align-items: center;
  min-height: 44px;
  padding: 0 1rem;
  background: var(--bg);
  color: var(--link);
  transform: translateY(-200%);
}

.skip-link:focus {
  transform: none;
}

.site-header,
main,
.site-footer {
  max-width: 36rem;
  margin: 0 auto;
  padding: 1rem;
}

.site-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem;
  border-bottom: 1px solid var(--rule);
}

.operator {
  margin: 0;
  font-weight: 700;
}

/* Test mode: a line of its own at the top of every page, marked with the danger colour. */
.test-mode {
  flex-basis: 100%;
  margin: 0;
  padding: 0.5rem 0.75rem;
  border-left: 4px solid var(--danger);
  background: var(--surface);
  color: var(--fg);
  font-weight: 700;
}

.lang-switch a,
.site-footer a {
  display: inline-flex;
  align-items: center;
  min-height: 44px;
  min-width: 44px;
  padding: 0 0.25rem;
}

main:focus {
  outline: none;
}

h1 {
  font-size: 1.5rem;
  line-height: 1.25;
  margin: 0.5rem 0;
}

h2 {
  font-size: 1.125rem;
  line-height: 1.3;
  margin: 1.5rem 0 0.5rem;
}

p {
  margin: 0.5rem 0;
}

.muted,
.hint {
  color: var(--muted);
}

.hint {
  margin: 0 0 0.25rem;
  font-size: 0.9375rem;
}

.card {
  background: var(--surface);
  border-radius: 0.5rem;
  padding: 1rem;
  margin: 1rem 0;
}

.items {
  list-style: none;
  margin: 0;
  padding: 0;
}

.items li {
  display: grid;
  grid-template-columns: 1fr auto;
  gap: 0 1rem;
  padding: 0.5rem 0;
  border-bottom: 1px solid var(--rule);
}

.items .label {
  font-weight: 600;
}

.items .qty {
  color: var(--muted);
  font-size: 0.9375rem;
}

.items .line-total {
  grid-column: 2;
  grid-row: 1 / span 2;
  align-self: center;
}

.num,
.items .line-total {
  font-variant-numeric: tabular-nums;
  text-align: end;
  white-space: nowrap;
}

.totals {
  display: grid;
  grid-template-columns: 1fr auto;
  gap: 0.25rem 1rem;
  margin: 0.75rem 0 0;
}

.totals dt,
.totals dd {
  margin: 0;
}

.totals dd {
  text-align: end;
}

.totals .grand {
  font-size: 1.5rem;
  font-weight: 700;
}

.notice {
  border-left: 4px solid var(--primary);
  background: var(--surface);
  padding: 0.5rem 1rem;
  margin: 1rem 0;
}

.notice ul {
  margin: 0.25rem 0;
  padding-left: 1.25rem;
}

fieldset {
  border: 0;
  margin: 0;
  padding: 0;
  min-width: 0;
}

legend {
  padding: 0;
  font-size: 1.125rem;
  font-weight: 700;
}

.field {
  margin: 1rem 0;
}

label {
  display: block;
  font-weight: 600;
  margin-bottom: 0.25rem;
}

input[type="text"],
input[type="password"],
input[type="date"],
textarea {
  display: block;
  width: 100%;
  min-height: 44px;
  padding: 0.5rem 0.75rem;
  font: inherit;
  font-size: 1rem;
  color: var(--fg);
  background: var(--bg);
  border: 2px solid var(--border);
  border-radius: 0.375rem;
}

/* A checkbox beside its label, its hint under the label; the whole row is a 44 px target. */
.choice {
  display: grid;
  grid-template-columns: auto 1fr;
  column-gap: 0.75rem;
  align-items: center;
  min-height: 44px;
}

.choice input[type="checkbox"],
.choice input[type="radio"] {
  width: 1.5rem;
  height: 1.5rem;
  margin: 0;
  accent-color: var(--primary);
}

.choice label {
  margin: 0;
}

.choice .hint {
  grid-column: 2;
}

input[aria-invalid="true"],
textarea[aria-invalid="true"] {
  border-color: var(--danger);
  border-width: 3px;
}

.field-error {
  color: var(--danger);
  font-weight: 600;
  margin: 0 0 0.25rem;
}

.error-summary {
  border: 3px solid var(--danger);
  border-radius: 0.5rem;
  padding: 0.75rem 1rem;
  margin: 1rem 0;
}

.error-summary h2 {
  margin-top: 0;
}

.actions {
  display: grid;
  gap: 0.75rem;
  margin: 1.5rem 0 1rem;
}

.button {
  /* Block, not flex: a flex button would lay out "Cancel and return to" and the
     merchant's <bdi> name as two columns. */
  display: block;
  box-sizing: border-box;
  width: 100%;
  min-height: 44px;
  min-width: 44px;
  padding: 0.625rem 1.25rem;
  font: inherit;
  font-weight: 600;
  line-height: 1.25;
  text-align: center;
  text-decoration: none;
  border: 2px solid transparent;
  border-radius: 0.375rem;
  cursor: pointer;
}

.button:hover {
  text-decoration: underline;
}

.button-primary {
  background: var(--primary);
  color: var(--primary-fg);
}

.button-secondary {
  background: transparent;
  color: var(--fg);
  border-color: var(--border);
}

.inline-form {
  margin: 0.5rem 0;
}

.status {
  display: flex;
  gap: 0.75rem;
  align-items: center;
}

.spinner {
  flex: none;
  width: 1.5rem;
  height: 1.5rem;
  border: 3px solid var(--rule);
  border-top-color: var(--primary);
  border-radius: 50%;
  animation: spin 1.2s linear infinite;
}

@keyframes spin {
  to {
    transform: rotate(360deg);
  }
}

.table-scroll {
  overflow-x: auto;
  margin: 1rem 0;
}

/* Headings stay whole: on a phone a wide table scrolls in its region rather than squeezing its first column to a letter a line. */
.table-scroll thead th,
.table-scroll th[scope="row"] {
  white-space: nowrap;
}

table {
  border-collapse: collapse;
  width: 100%;
}

caption {
  text-align: start;
  font-weight: 700;
  padding: 0.5rem 0;
}

th,
td {
  text-align: start;
  vertical-align: top;
  padding: 0.5rem;
  border-bottom: 1px solid var(--rule);
}

th.num,
td.num {
  text-align: end;
}

.site-footer {
  border-top: 1px solid var(--rule);
  color: var(--muted);
  font-size: 0.875rem;
}

.visually-hidden {
  position: absolute !important;
  width: 1px !important;
  height: 1px !important;
  padding: 0 !important;
  margin: -1px !important;
  overflow: hidden !important;
  clip: rect(0 0 0 0) !important;
  clip-path: inset(50%) !important;
  white-space: nowrap !important;
  border: 0 !important;
}

@media (prefers-reduced-motion: reduce) {
  *,
  *::before,
  *::after {
    animation-duration: 0.01ms !important;
    animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important;
    scroll-behavior: auto !important;
  }
}

@media (forced-colors: active) {
  .button,
  input {
    border-color: ButtonText;
  }

  :focus-visible {
    outline-color: Highlight;
  }
}
`;

/** SHA-256 of {@link CHECKOUT_CSS} (UTF-8), hex. */
export const CHECKOUT_CSS_SHA256: string = createHash('sha256').update(CHECKOUT_CSS, 'utf8').digest('hex');

/** The `integrity` attribute value for the stylesheet link (Subresource Integrity). */
export const CHECKOUT_CSS_INTEGRITY: string = `sha256-${createHash('sha256').update(CHECKOUT_CSS, 'utf8').digest('base64')}`;

/** Where the routes serve {@link CHECKOUT_CSS}. The query string is ignored when serving. */
export const CHECKOUT_CSS_PATH = '/assets/checkout.css';

/** The versioned URL pages link to: a new version of the text gets a new URL, so it may be cached forever. */
export const CHECKOUT_CSS_HREF = `${CHECKOUT_CSS_PATH}?v=${CHECKOUT_CSS_SHA256.slice(0, 16)}`;
