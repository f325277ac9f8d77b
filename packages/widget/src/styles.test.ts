import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyStyles, CSS } from './styles.js';

/** The default of every theme variable, read from the stylesheet itself. */
const DEFAULTS = Object.fromEntries([...CSS.matchAll(/var\((--caisse-[\w-]+),([^)]+)\)/g)].map((match) => [match[1], match[2]]));

/** WCAG 2.2 relative luminance and contrast ratio of two #rgb / #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const full = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1);
    const [r, g, bl] = [0, 2, 4].map((i) => {
      const c = Number.parseInt(full.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

afterEach(() => vi.restoreAllMocks());

describe('theme', () => {
  it('reads every documented variable with a default', () => {
    expect(Object.keys(DEFAULTS).sort()).toEqual(
      [
        '--caisse-accent',
        '--caisse-accent-text',
        '--caisse-error',
        '--caisse-focus',
        '--caisse-font',
        '--caisse-muted',
        '--caisse-radius',
        '--caisse-success',
        '--caisse-surface',
        '--caisse-text',
      ].sort(),
    );
  });

  it.each([
    ['text on surface', '--caisse-text', '--caisse-surface', 4.5],
    ['pay button label on accent', '--caisse-accent-text', '--caisse-accent', 4.5],
    ['disabled pay button label on muted', '--caisse-accent-text', '--caisse-muted', 4.5],
    ['secondary buttons and links on surface', '--caisse-accent', '--caisse-surface', 4.5],
    ['order number and time left on surface', '--caisse-muted', '--caisse-surface', 4.5],
    ['error status on surface', '--caisse-error', '--caisse-surface', 4.5],
    ['paid status on surface', '--caisse-success', '--caisse-surface', 4.5],
    ['focus ring on surface (non-text, 3:1)', '--caisse-focus', '--caisse-surface', 3],
  ])('has default contrast of at least the WCAG AA ratio: %s', (_name, foreground, background, ratio) => {
    expect(contrast(DEFAULTS[foreground] as string, DEFAULTS[background] as string)).toBeGreaterThanOrEqual(ratio);
  });

  it('keeps a 44 px target for buttons and a visible focus ring', () => {
    expect(CSS).toContain('min-height:44px');
    expect(CSS).toMatch(/:focus-visible\{outline:3px solid/);
  });
});

describe('applyStyles', () => {
  it('adopts a constructed stylesheet: no <style> element, nothing for CSP to block', () => {
    const root = document.createElement('div').attachShadow({ mode: 'open' });
    applyStyles(root, 'n0nce');
    expect(root.adoptedStyleSheets).toHaveLength(1);
    expect(root.querySelector('style')).toBeNull();
  });

  it('falls back to a <style> element with the nonce where constructed sheets are missing', () => {
    vi.spyOn(CSSStyleSheet.prototype, 'replaceSync').mockImplementation(() => {
      throw new TypeError('not supported');
    });
    const root = document.createElement('div').attachShadow({ mode: 'open' });
    applyStyles(root, 'n0nce');
    const style = root.querySelector('style');
    expect(style?.nonce).toBe('n0nce');
    expect(style?.textContent).toBe(CSS);
  });
});
