// A cash voucher made the way an independent payment server would make one, written from
// the format reference alone (DESIGN.md "Messages" → "Voucher", and the voucher claims of
// packages/protocol/src/messages/voucher.ts): node:crypto only, nothing from Caisse.
//
// stdin (JSON): { privateJwk, issuer, ticket, now, sub }
//   privateJwk  the payment server's private JWK (Ed25519 → EdDSA, P-256 → ES256), with its kid
//   issuer      the payment server's issuer id (the voucher's `iss`)
//   ticket      the merchant's ticket exactly as received: a compact JWS
//   now         seconds since the epoch
//   sub         the customer's pairwise id for this merchant
// stdout: the voucher, a compact JWS.
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (data) => base64url(createHash('sha256').update(data).digest());

/** RFC 8785 (JCS) for what items hold: objects with sorted member names, strings, integers. */
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const names = Object.keys(value).sort();
    return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { privateJwk, issuer, ticket, now, sub } = JSON.parse(input);

// The ticket's signature was checked on receipt (not repeated here); read its claims.
const ticketClaims = JSON.parse(Buffer.from(ticket.split('.')[1], 'base64url').toString('utf8'));
const paid = ticketClaims.amount > 0;

const header = {
  alg: privateJwk.kty === 'OKP' ? 'EdDSA' : 'ES256',
  typ: 'caisse-voucher+jwt',
  kid: privateJwk.kid,
};
const claims = {
  ver: 1,
  iss: issuer,
  aud: ticketClaims.iss,
  // The payment id: `pay_` and the register serial of the payment.
  jti: `pay_${BigInt(`0x${randomBytes(7).toString('hex')}`) + 1n}`,
  iat: now,
  exp: now + 60,
  // The ticket answered: its id, and SHA-256 over the ASCII of the compact JWS as received.
  ticket: { jti: ticketClaims.jti, sha256: sha256(ticket) },
  serial: ticketClaims.serial,
  amount: ticketClaims.amount,
  currency: ticketClaims.currency,
  // The items digest: SHA-256 of the RFC 8785 canonical JSON of the items array.
  items: sha256(canonicalJson(ticketClaims.items)),
  ...(paid ? { funding: 'wallet' } : {}),
  status: paid ? 'authorised' : 'authenticated',
  sub,
  confirmation: { method: 'device', at: now - 2 },
  state: ticketClaims.state,
};

const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
const { kid: _kid, alg: _alg, use: _use, ...material } = privateJwk;
const key = createPrivateKey({ key: material, format: 'jwk' });
const signature =
  header.alg === 'EdDSA'
    ? sign(null, Buffer.from(signingInput), key)
    : // JWS ES256 carries the raw r‖s (RFC 7518 §3.4), not DER.
      sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });

process.stdout.write(`${signingInput}.${base64url(signature)}\n`);
