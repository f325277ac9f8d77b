/** The payment server's after-payment test world (imported from its source; see payment-server.ts): the same server with a sandbox bank, a notification receiver and a movable clock, for escrow, refunds and settlement. */
export { afterPaymentWorld } from '../../../../payment-server/src/after-payment/__fixtures__/world.js';
