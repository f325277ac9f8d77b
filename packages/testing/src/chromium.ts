import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type LaunchOptions, type Page } from 'playwright-core';

/** Debian's Chromium, as on the CI machine; `CHROMIUM_PATH` names another build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * No sandbox (tests run as root in containers), no GPU, and none of Chromium's own
 * traffic (updates, first-run pages): a test's network log holds only what the page did.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * Launches the system's headless Chromium with playwright-core (no downloaded browser).
 * Extra `args` come after the shared ones.
 * @example const browser = await launchChromium(); afterAll(() => browser?.close())
 */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, ...options, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
}

let axeSource: string | undefined;

/**
 * The WCAG problems axe-core finds on the page as it is now, one line per rule with the
 * offending elements, so a failing `toEqual([])` says what to fix. axe-core is read on
 * the first call only: suites that never check accessibility need not install it.
 * @example expect(await axeViolations(page)).toEqual([])
 */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    type Result = { violations: { id: string; nodes: { html: string }[] }[] };
    const result = await (window as unknown as { axe: { run(): Promise<Result> } }).axe.run();
    return result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.html).join(' | ')}`);
  });
}
