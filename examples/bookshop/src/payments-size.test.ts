import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

// The promise of this sample: taking payments is a short file an integrator reads in one go.
it('keeps the payment code under 80 lines', () => {
  const lines = readFileSync(new URL('./payments.ts', import.meta.url), 'utf8')
    .trimEnd()
    .split('\n');
  expect(lines.length).toBeLessThan(80);
});
