import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
    // Starting PGlite (a whole PostgreSQL in WebAssembly) and migrating it takes seconds on a busy 2-core machine.
    hookTimeout: 300_000,
    testTimeout: 30_000,
  },
});
