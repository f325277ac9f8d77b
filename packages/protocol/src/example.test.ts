import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { itemsDigest, ticketHash } from './hash.js';
import { voucherClaims } from './messages/voucher.js';
import { parseMessage, parseTicketClaims } from './parse.js';
import { ITEMS_SHA256, TICKET_SHA256, ticketItems, validTicket, validVoucher } from './test-support.js';
import { TOKEN_TYPES } from './token-types.js';

// The README's worked example, checked end to end so that the published test vector stays
// true. The key is the Ed25519 test key of RFC 8037 Appendix A.1; Ed25519 signatures are
// deterministic, so the whole token is reproducible in any language.
const RFC8037_KEY = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};

const HEADER = '{"alg":"EdDSA","typ":"caisse-ticket+jwt","kid":"librairie-2026-01"}';

const TOKEN =
  'eyJhbGciOiJFZERTQSIsInR5cCI6ImNhaXNzZS10aWNrZXQrand0Iiwia2lkIjoibGlicmFpcmllLTIwMjYtMDEifQ.' +
  'eyJ2ZXIiOjEsImlzcyI6ImxpYnJhaXJpZS1kdS1wb3J0IiwiYXVkIjoiaHR0cHM6Ly9wYXkuY2Fpc3NlLmV4YW1wbGUiLCJqdGkiOiJ0a3RfMDFKOVozSzdROCIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI2NTAwLCJzZXJpYWwiOiJDTUQtMjAyNi0wMDAxMjMiLCJraW5kIjoicHVyY2hhc2UiLCJpdGVtcyI6W3siaWQiOiJpc2JuLTk3ODIwNzAzNjAwMjQiLCJsYWJlbCI6IkzigJnDiXRyYW5nZXIg4oCUIEFsYmVydCBDYW11cyIsInF1YW50aXR5IjoyLCJ1bml0QW1vdW50Ijo4NTAsInZhdFJhdGUiOjU1MH0seyJpZCI6InNoaXAtY29saXNzaW1vIiwibGFiZWwiOiJMaXZyYWlzb24gQ29saXNzaW1vIiwicXVhbnRpdHkiOjEsInVuaXRBbW91bnQiOjQ5OSwidmF0UmF0ZSI6MjAwMH1dLCJhbW91bnQiOjIxOTksInZhdCI6MTcyLCJjdXJyZW5jeSI6IkVVUiIsImN1c3RvbWVyIjp7InBob25lIjoiKzMzNjEyMzQ1Njc4In0sInJldHVyblVybCI6Imh0dHBzOi8vbGlicmFpcmllLmV4YW1wbGUvY2Fpc3NlL3JldG91ciIsImNhbmNlbFVybCI6Imh0dHBzOi8vbGlicmFpcmllLmV4YW1wbGUvY2Fpc3NlL2FubnVsYXRpb24iLCJub3RpZnlVcmwiOiJodHRwczovL2xpYnJhaXJpZS5leGFtcGxlL2NhaXNzZS9ub3RpZmljYXRpb25zIiwiZnVsZmlsbWVudCI6ImRlZmVycmVkIiwicmVxdWVzdGVkIjpbInNoaXBwaW5nX2FkZHJlc3MiLCJlbWFpbCJdLCJzdGF0ZSI6ImszSjl4UTJtWnA3UnZUMXdZYjROY0EifQ.' +
  'nqYf5hnP5-5y5iKCoj62VmiSPUAZGpOEey-1Z9hzUDEPLbJK6uUv1OOlPq6AG57_EQhbLeShyggTq6Yfm5LqCg';

describe('README worked example', () => {
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = TOKEN.split('.');

  it('is the compact JWS of the example header and payload, signed with the RFC 8037 test key', () => {
    expect(Buffer.from(encodedHeader, 'base64url').toString('utf8')).toBe(HEADER);
    expect(JSON.parse(HEADER).typ).toBe(TOKEN_TYPES.ticket);
    expect(Buffer.from(encodedPayload, 'base64url').toString('utf8')).toBe(JSON.stringify(validTicket()));
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
    const signature = sign(null, signingInput, createPrivateKey({ key: RFC8037_KEY, format: 'jwk' }));
    expect(signature.toString('base64url')).toBe(encodedSignature);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: RFC8037_KEY.x }, format: 'jwk' });
    expect(verify(null, signingInput, publicKey, Buffer.from(encodedSignature, 'base64url'))).toBe(true);
  });

  it('has valid ticket claims whose amounts add up', () => {
    expect(parseTicketClaims(JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8')))).toEqual(validTicket());
  });

  it('gives the ticket hash and items digest that the example voucher carries', async () => {
    expect(await ticketHash(TOKEN)).toBe(TICKET_SHA256);
    expect(await itemsDigest(ticketItems())).toBe(ITEMS_SHA256);
    const voucher = parseMessage(voucherClaims, validVoucher());
    expect(voucher.ticket).toEqual({ jti: 'tkt_01J9Z3K7Q8', sha256: TICKET_SHA256 });
    expect(voucher.items).toBe(ITEMS_SHA256);
  });

  it('is printed in the README exactly', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(TOKEN);
    expect(readme).toContain(TICKET_SHA256);
    expect(readme).toContain(ITEMS_SHA256);
    expect(readme).toContain(RFC8037_KEY.d);
  });
});
