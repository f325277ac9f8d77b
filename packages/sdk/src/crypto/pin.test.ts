import { createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCaisseDeviceError } from '../errors.js';
import { derivePinKey, PIN_ITERATIONS, pinProof, pinVerifier } from './pin.js';

const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('the PIN proof of the device API', () => {
  it('derives pinKey with PBKDF2-HMAC-SHA256, 310 000 iterations, 32 bytes, exactly as node:crypto does', async () => {
    const pinKey = await derivePinKey('4821', SALT);
    expect(PIN_ITERATIONS).toBe(310_000);
    expect(Buffer.from(pinKey).equals(pbkdf2Sync('4821', SALT, 310_000, 32, 'sha256'))).toBe(true);
    expect(pinVerifier(pinKey)).toBe(pbkdf2Sync('4821', SALT, 310_000, 32, 'sha256').toString('base64url'));
  });

  it('proves the PIN for an approval bound to the request id and challenge, and for a PIN change bound to the jti', async () => {
    const pinKey = await derivePinKey('903715', SALT);
    const key = pbkdf2Sync('903715', SALT, 310_000, 32, 'sha256');
    const mac = (text: string) => createHmac('sha256', key).update(text, 'utf8').digest('base64url');
    const challenge = 'q'.repeat(43);
    expect(await pinProof(pinKey, 'approve', `cfr_1|${challenge}`)).toBe(mac(`caisse-pin|approve|cfr_1|${challenge}`));
    expect(await pinProof(pinKey, 'pin-change', 'a1b2')).toBe(mac('caisse-pin|pin-change|a1b2'));
    // Another binding or purpose gives another proof: a proof for one request cannot answer another.
    expect(await pinProof(pinKey, 'approve', `cfr_2|${challenge}`)).not.toBe(mac(`caisse-pin|approve|cfr_1|${challenge}`));
  });

  it('matches a fixed vector, so that both sides can check themselves against it', async () => {
    const pinKey = await derivePinKey('0000', new Uint8Array(16));
    // PIN "0000", pinSalt 16 zero bytes, request "cfr_test", challenge "AAAA" (README, "Storage and the PIN").
    expect(pinVerifier(pinKey)).toBe('DPryMLPxPM6jDvBNvjvDNyv6MnTCvIEXLHwntPFj5Uw');
    expect(await pinProof(pinKey, 'approve', 'cfr_test|AAAA')).toBe('bTzr7R60l4cDrjgXLZ2NIWuPCVSsnFnnJwOQhboTkYo');
  });

  it.each(['123', '1234567890123', '12a4', ' 1234', '١٢٣٤'])('refuses %j as a PIN (4–12 ASCII digits)', async (pin) => {
    await expect(derivePinKey(pin, SALT)).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'pin_malformed'));
  });
});
