/**
 * bench:ticket-sign — operations per second of the kit's full ticket path against raw
 * node:crypto Ed25519 signing of the same bytes, on one core, in one run.
 *
 * Kit: `createTicket(input, config)`: totals of the items, a random ticket id, the
 * claims schema (ids, labels, URLs, amounts, lifetime, kind), amount and VAT rules,
 * header and payload JSON, base64url, the Ed25519 signature, and the SHA-256 of the token.
 * Ceiling: `crypto.sign(null, signingInput, privateKey)` with a cached `KeyObject`, over
 * the signing input of a ticket the kit made (same length, same bytes but for the id).
 */
import { sign } from 'node:crypto';
import { createState, createTicket, generateKey, type TicketConfig, type TicketInput } from '@caisse/server-kit';
import { CompactSign, importJWK } from 'jose';
import { type Contender, printFigures, printRatio, printSetting, race } from './harness.js';

const PER_ROUND = 15_000;
const JOSE_PER_ROUND = 5_000;
const PLAN = { warmupRounds: 2, rounds: 7 };

const ISSUER = 'https://pay.caisse.example';
const merchant = generateKey({ alg: 'EdDSA' });

/** A typical basket: two lines, two VAT rates, the session binding, return and cancel URLs. */
const input: TicketInput = {
  serial: 'order-42',
  currency: 'EUR',
  items: [
    { id: 'book-1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 },
    { id: 'bookmark', label: 'Bookmark', quantity: 2, unitAmount: 150, vatRate: 2000 },
  ],
  returnUrl: 'https://shop.example/paid',
  cancelUrl: 'https://shop.example/basket',
  state: createState(),
};
const config: TicketConfig = {
  merchantId: 'bookshop',
  paymentServer: ISSUER,
  payEndpoint: `${ISSUER}/pay`,
  signingKey: merchant.signingKey,
};

// The ceiling signs what the kit signs: the signing input of a ticket made here.
const sample = createTicket(input, config);
const signingInput = Buffer.from(sample.token.slice(0, sample.token.lastIndexOf('.')), 'latin1');
const privateKey = merchant.signingKey.key;

const [encodedHeader = '', encodedPayload = ''] = sample.token.split('.');
const joseHeader = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
const josePayload = Buffer.from(encodedPayload, 'base64url');
const joseKey = await importJWK(merchant.privateJwk, 'EdDSA');

/** Kept alive so that no contender's work can be optimised away. */
let sink = 0;

const kit: Contender = {
  name: 'kit createTicket',
  count: PER_ROUND,
  run() {
    for (let i = 0; i < PER_ROUND; i++) sink += createTicket(input, config).token.length;
  },
};

const raw: Contender = {
  name: 'raw crypto.sign',
  count: PER_ROUND,
  run() {
    for (let i = 0; i < PER_ROUND; i++) sink += sign(null, signingInput, privateKey).length;
  },
};

const jose: Contender = {
  name: 'jose CompactSign',
  count: JOSE_PER_ROUND,
  async run() {
    for (let i = 0; i < JOSE_PER_ROUND; i++)
      sink += (await new CompactSign(josePayload).setProtectedHeader(joseHeader).sign(joseKey)).length;
  },
};

printSetting('bench:ticket-sign — @caisse/server-kit createTicket against node:crypto Ed25519 sign of the same bytes', [
  `kit: createTicket(two-item basket, config) — validation, totals, random id, claims, JSON, base64url, signature, SHA-256 of the token`,
  `ceiling: crypto.sign(null, signingInputBytes, cachedPrivateKeyObject) over a kit ticket's ${signingInput.length}-byte signing input`,
  `extra: jose 6 CompactSign with an imported CryptoKey (header and payload bytes prepared, no validation), for reference`,
  `${PLAN.warmupRounds} warm-up + ${PLAN.rounds} timed rounds per contender, rotating order`,
]);

const [kitFigures, rawFigures, joseFigures] = await race([kit, raw, jose], PLAN);
if (!kitFigures || !rawFigures || !joseFigures) throw new Error('race lost a contender');
if (sink === 0) throw new Error('nothing was signed');
printFigures([kitFigures, rawFigures, joseFigures], rawFigures);
printRatio(kitFigures, rawFigures);
