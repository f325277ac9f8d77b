import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __VERSION__: JSON.stringify(version) },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'happy-dom',
    // A merchant page on its own origin; the payment server lives on another one.
    environmentOptions: { happyDOM: { url: 'https://shop.example/checkout' } },
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
