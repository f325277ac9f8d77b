import { config } from 'zod';

// The SDK validates requests with zod, whose schemas probe for `new Function` when they
// are built. Under this app's CSP (no 'unsafe-eval') the probe is reported as a
// violation; jitless skips it. Imported first, so it runs before any schema is built.
config({ jitless: true });
