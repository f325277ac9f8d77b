/**
 * The size budget of the built app (dist/, built before the tests): what a phone downloads
 * before the customer can approve. zod is most of it; imported as `import { z }` instead
 * of `import * as z`, zod brings every locale and the app more than doubles.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

const KB = 1024;
const BUDGET = 56 * KB;

it(`keeps the app bundle, Preact, the SDK and zod included, under ${BUDGET / KB} KB gzipped`, () => {
  const app = readFileSync(new URL('../dist/app.js', import.meta.url));
  const gzipped = gzipSync(app, { level: 9 }).length;
  expect(gzipped, `dist/app.js is ${(gzipped / KB).toFixed(1)} KB gzipped`).toBeLessThanOrEqual(BUDGET);
});
