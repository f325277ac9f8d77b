import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * One operator secret, and a key derived from it for each purpose (HKDF, RFC 5869), so
 * that no use of one derived key can weaken another.
 */
export type SecretPurpose = 'key-sealing' | 'pairwise-subject' | 'csrf' | 'session' | 'content-sealing' | 'operator-totp';

export function deriveKey(secret: string, purpose: SecretPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), Buffer.alloc(0), `caisse ${purpose}`, 32));
}

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Seals text with AES-256-GCM: `v1.<iv>.<ciphertext>.<tag>`. The associated data binds
 * the ciphertext to its row (e.g. the key id), so a sealed value moved to another row
 * does not open.
 */
export function seal(key: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, body, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function unseal(key: Buffer, sealed: string, associatedData: string): string {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !body || !tag) throw new Error('Not a sealed value.');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    .setAAD(Buffer.from(associatedData))
    .setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
