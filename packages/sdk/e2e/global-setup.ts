import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

/**
 * Bundles the built SDK (dist/index.js, with its dependencies, as a browser app would)
 * once, before the suites: a vitest global setup has no time-out, while a `beforeAll`
 * that bundled raced its hook time-out on a busy machine. browser.e2e.test.ts reads the
 * bundle with `inject('sdkBundle')`; it is `null` when the SDK is not built, and that
 * test says to build it first.
 */
const DIST = new URL('../dist/index.js', import.meta.url).pathname;

export default async function setup(project: TestProject) {
  if (!existsSync(DIST)) {
    project.provide('sdkBundle', null);
    return;
  }
  const bundle = await build({ entryPoints: [DIST], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false });
  project.provide('sdkBundle', bundle.outputFiles[0]?.text ?? null);
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built SDK bundled for the browser, or `null` when dist/ is missing. */
    sdkBundle: string | null;
  }
}
