import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __VERSION__: JSON.stringify(version) },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.e2e.test.ts'],
    // Builds dist/ if it is missing or stale, once, before the suites and with no time-out.
    globalSetup: ['scripts/ensure-build.mjs'],
    // Chromium and a payment server start per file in `beforeAll`, which resolves once
    // they are ready (listening, PGlite migrated, Chromium launched). Alone that takes
    // seconds; on two busy cores (every package's tests at once) it outran 60 s, and with two
    // CPU hogs the payment server alone took 40 s. The bound only makes a start that hangs fail.
    hookTimeout: 300_000,
    testTimeout: 60_000,
    environment: 'happy-dom',
    // A merchant page on its own origin; the payment server lives on another one.
    environmentOptions: { happyDOM: { url: 'https://shop.example/checkout' } },
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
