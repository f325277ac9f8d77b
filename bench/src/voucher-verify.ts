/**
 * bench:voucher-verify — operations per second of the kit's full voucher path against
 * raw node:crypto Ed25519 verification of the same bytes, on one core, in one run.
 *
 * Kit: `verifyVoucher(token, options)` with a static key set, an in-memory replay store,
 * the ticket reference and the browser state: size and shape, header, key lookup,
 * signature, payload JSON, claims schema, issuer, audience, expiry, ticket match, state,
 * single use. Every voucher is distinct and verified once, so every claim is a new
 * replay-store record and none is refused.
 * Ceiling: `crypto.verify(null, signingInput, publicKey, signature)` with a cached
 * `KeyObject` and the bytes already decoded.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { PROTOCOL_VERSION, paymentId, TOKEN_TYPES, type VoucherClaims } from '@caisse/protocol';
import {
  createState,
  createTicket,
  generateKey,
  memoryReplayStore,
  signJws,
  staticKeySet,
  type VerifyVoucherOptions,
  verifyVoucher,
} from '@caisse/server-kit';
import { compactVerify, importJWK } from 'jose';
import { type Contender, printFigures, printRatio, printSetting, race } from './harness.js';

const POOL = 16_000;
const PER_ROUND = 8_000;
const JOSE_PER_ROUND = 3_000;
const PLAN = { warmupRounds: 2, rounds: 7 };

const ISSUER = 'https://pay.caisse.example';
const MERCHANT_ID = 'bookshop';

const server = generateKey({ alg: 'EdDSA' });
const merchant = generateKey({ alg: 'EdDSA' });
const state = createState();
const ticket = createTicket(
  {
    serial: 'order-42',
    currency: 'EUR',
    items: [
      { id: 'book-1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 },
      { id: 'bookmark', label: 'Bookmark', quantity: 2, unitAmount: 150, vatRate: 2000 },
    ],
    returnUrl: 'https://shop.example/paid',
    cancelUrl: 'https://shop.example/basket',
    state,
  },
  { merchantId: MERCHANT_ID, paymentServer: ISSUER, payEndpoint: `${ISSUER}/pay`, signingKey: merchant.signingKey },
);

// Vouchers live for the longest lifetime the protocol allows (600 s), on the real clock:
// they stay valid for the whole run and every replay record stays live, so the store
// grows with each verification as it would in production.
const iat = Math.floor(Date.now() / 1000);
const itemsDigest = createHash('sha256').update('items').digest('base64url');
function voucherClaims(serialNumber: number): VoucherClaims {
  return {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    // The payment id, as the payment server names it: `pay_` and the register serial.
    jti: paymentId(1_000_000n + BigInt(serialNumber)),
    iat,
    exp: iat + 600,
    ticket: { jti: ticket.id, sha256: ticket.sha256 },
    serial: ticket.claims.serial,
    amount: ticket.claims.amount,
    currency: ticket.claims.currency,
    items: itemsDigest,
    funding: 'wallet',
    status: 'authorised',
    sub: 'c_pairwise_7Hq2',
    confirmation: { method: 'device', at: iat - 3 },
    state,
  };
}

const mintStart = process.hrtime.bigint();
const tokens = Array.from({ length: POOL }, (_, index) => signJws(TOKEN_TYPES.voucher, voucherClaims(index), server.signingKey));
const mintSeconds = Number(process.hrtime.bigint() - mintStart) / 1e9;

// The ceiling's inputs: the very bytes the kit verifies, decoded once, outside the clock.
const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: server.publicJwk.x }, format: 'jwk' });
const signingInputs = tokens.map((token) => Buffer.from(token.slice(0, token.lastIndexOf('.')), 'latin1'));
const signatures = tokens.map((token) => Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url'));

const keys = staticKeySet(server.jwks);
const joseKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: server.publicJwk.x }, 'EdDSA');

/** Where round `round` starts in the pool: consecutive rounds take consecutive slices, wrapping before the end. */
function sliceStart(round: number, count: number): number {
  const start = (round * count) % POOL;
  return start + count <= POOL ? start : 0;
}

let options: VerifyVoucherOptions | undefined;
const kit: Contender = {
  name: 'kit verifyVoucher',
  count: PER_ROUND,
  prepare() {
    options = { issuer: ISSUER, keys, replayStore: memoryReplayStore(), audience: MERCHANT_ID, ticket: ticket.reference, state };
  },
  async run(round) {
    const first = sliceStart(round, PER_ROUND);
    for (let i = first; i < first + PER_ROUND; i++) await verifyVoucher(tokens[i] as string, options as VerifyVoucherOptions);
  },
};

const raw: Contender = {
  name: 'raw crypto.verify',
  count: PER_ROUND,
  run(round) {
    const first = sliceStart(round, PER_ROUND);
    let valid = true;
    for (let i = first; i < first + PER_ROUND; i++)
      valid = verify(null, signingInputs[i] as Buffer, publicKey, signatures[i] as Buffer) && valid;
    if (!valid) throw new Error('raw verify refused a voucher the kit signed: the ceiling would be measuring the wrong path');
  },
};

const jose: Contender = {
  name: 'jose compactVerify',
  count: JOSE_PER_ROUND,
  async run(round) {
    const first = sliceStart(round, JOSE_PER_ROUND);
    for (let i = first; i < first + JOSE_PER_ROUND; i++) await compactVerify(tokens[i] as string, joseKey);
  },
};

printSetting('bench:voucher-verify — @caisse/server-kit verifyVoucher against node:crypto Ed25519 verify of the same bytes', [
  `kit: verifyVoucher(token, { static key set, memory replay store (new each round), ticket reference, state }) — full path, each token distinct`,
  `ceiling: crypto.verify(null, signingInputBytes, cachedKeyObject, signature), bytes decoded before the clock starts`,
  `extra: jose 6 compactVerify with an imported CryptoKey (signature and header only, no claims), for reference`,
  `${POOL.toLocaleString('en-US')} vouchers (${tokens[0]?.length} characters each) minted in ${mintSeconds.toFixed(1)} s before timing; ${PLAN.warmupRounds} warm-up + ${PLAN.rounds} timed rounds per contender, rotating order`,
]);

const [kitFigures, rawFigures, joseFigures] = await race([kit, raw, jose], PLAN);
if (!kitFigures || !rawFigures || !joseFigures) throw new Error('race lost a contender');
printFigures([kitFigures, rawFigures, joseFigures], rawFigures);
printRatio(kitFigures, rawFigures);
