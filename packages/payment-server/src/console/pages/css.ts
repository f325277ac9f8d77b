import { createHash } from 'node:crypto';
import { CHECKOUT_CSS } from '../../pages/css.js';

/**
 * The console's stylesheet: the hosted pages' one (its colours, checked for contrast by
 * `pages/css.test.ts`, its focus ring, controls and tables) and what an operator's
 * screen adds — a wider page, the section menu, tables with buttons in their rows. Served
 * on its own at {@link CONSOLE_CSS_PATH}, so the customers' pages load not a byte more.
 */
export const CONSOLE_CSS = `${CHECKOUT_CSS}
/* The operator console: a wide page with a section menu. */
.console .site-header,
.console main {
  max-width: 72rem;
}

.console-nav ul {
  display: flex;
  flex-wrap: wrap;
  gap: 0 0.25rem;
  list-style: none;
  margin: 0;
  padding: 0;
}

.console-nav a {
  display: inline-flex;
  align-items: center;
  min-height: 44px;
  padding: 0 0.5rem;
}

.console-nav a[aria-current="page"] {
  font-weight: 700;
  text-decoration-thickness: 3px;
}

.signed-in {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem;
  margin: 0;
}

.console .button-inline {
  display: inline-block;
  width: auto;
}

.search {
  display: flex;
  flex-wrap: wrap;
  align-items: flex-end;
  gap: 0.5rem 1rem;
  margin: 1rem 0;
}

.search .field {
  flex: 1 1 16rem;
  margin: 0;
}

.facts {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.25rem 1rem;
  margin: 1rem 0;
}

.facts dt {
  font-weight: 600;
}

.facts dd {
  margin: 0;
}

.console select {
  display: block;
  min-height: 44px;
  padding: 0.5rem 0.75rem;
  font: inherit;
  color: var(--fg);
  background: var(--bg);
  border: 2px solid var(--border);
  border-radius: 0.375rem;
}

.secret {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  overflow-wrap: anywhere;
}

.console td form {
  margin: 0;
}

/* The visually hidden headings of a wide table stay inside its scrolling region, not beyond the page's edge. */
.console .table-scroll {
  position: relative;
}
`;

/** SHA-256 of {@link CONSOLE_CSS} (UTF-8), hex. */
export const CONSOLE_CSS_SHA256: string = createHash('sha256').update(CONSOLE_CSS, 'utf8').digest('hex');

/** The `integrity` attribute value for the stylesheet link (Subresource Integrity). */
export const CONSOLE_CSS_INTEGRITY: string = `sha256-${createHash('sha256').update(CONSOLE_CSS, 'utf8').digest('base64')}`;

/** Where the console serves {@link CONSOLE_CSS}, under its own path (its cookie's path, its body limit). */
export const CONSOLE_CSS_PATH = '/console/assets/console.css';

/** The versioned URL pages link to: a new text, a new URL, so it may be cached forever. */
export const CONSOLE_CSS_HREF = `${CONSOLE_CSS_PATH}?v=${CONSOLE_CSS_SHA256.slice(0, 16)}`;
