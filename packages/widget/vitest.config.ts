import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __VERSION__: JSON.stringify(version) },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.e2e.test.ts'],
    // Chromium and a payment server start per file; a busy 2-core machine needs time.
    hookTimeout: 60_000,
    testTimeout: 60_000,
    environment: 'happy-dom',
    // A merchant page on its own origin; the payment server lives on another one.
    environmentOptions: { happyDOM: { url: 'https://shop.example/checkout' } },
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
