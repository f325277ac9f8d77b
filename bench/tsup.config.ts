import { defineConfig } from 'tsup';

// The kit and the protocol stay external: each benchmark imports their built dist/,
// exactly what a merchant's server would run.
export default defineConfig({
  entry: [
    'src/voucher-verify.ts',
    'src/ticket-sign.ts',
    'src/payment-throughput.ts',
    'src/confirmation-latency.ts',
    'src/allowance-charges.ts',
    'src/soak.ts',
  ],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
