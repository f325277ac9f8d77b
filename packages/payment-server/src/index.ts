/**
 * The payment server as a library: what the `caisse-server` CLI runs, for embedding it
 * (tests, benchmarks, a process manager of your own).
 * @example
 * const server = await startPaymentServer(loadConfig(process.env));
 * // … later
 * await server.close();
 */
export { type Config, configSchema, issuerOf, loadConfig } from './config.js';
export { type RunningSandboxBank, startSandboxBank } from './sandbox-bank/server.js';
export { createPaymentServer, type PaymentServer, startPaymentServer } from './server.js';
