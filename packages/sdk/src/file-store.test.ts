import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDeviceKey } from './crypto/keys.js';
import { isCaisseDeviceError } from './errors.js';
import { fileStore } from './file-store.js';
import type { AccountRecord } from './stores/store.js';

async function record(account: string, enrolledAt: number): Promise<AccountRecord> {
  const key = await generateDeviceKey({ extractable: true });
  return { ...key, server: 'https://pay.example', account, pinSalt: 'AAAAAAAAAAAAAAAAAAAAAA', enrolledAt };
}

describe('the file store', () => {
  it('writes mode 0600, keeps accounts across instances, and gives keys back non-extractable', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'caisse-sdk-')), 'device.json');
    const bob = await record('bob', 2);
    const alice = await record('alice', 1);
    await fileStore(path).put(bob);
    await fileStore(path).put(alice);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const reopened = fileStore(path);
    const accounts = await reopened.list();
    expect(accounts.map((account) => account.account)).toEqual(['alice', 'bob']);
    const key = (await reopened.get(alice.deviceId))?.privateKey as CryptoKey;
    expect(key.extractable).toBe(false);
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, key, new Uint8Array([1]));
    const publicKey = await crypto.subtle.importKey('jwk', alice.publicJwk, { name: 'Ed25519' }, false, ['verify']);
    expect(await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, signature, new Uint8Array([1]))).toBe(true);

    // A record read back (non-extractable key) can be written again: the key on file stays.
    await reopened.put({ ...(accounts[0] as AccountRecord), displayName: 'Alice' });
    expect((await fileStore(path).get(alice.deviceId))?.displayName).toBe('Alice');
    await reopened.delete(bob.deviceId);
    expect((await fileStore(path).list()).map((account) => account.account)).toEqual(['alice']);
    expect(readFileSync(path, 'utf8')).not.toContain('4821');
  });

  it('serialises concurrent writes, so two enrolments never lose one another', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'caisse-sdk-')), 'device.json');
    const store = fileStore(path);
    await Promise.all([store.put(await record('a', 1)), store.put(await record('b', 2)), store.put(await record('c', 3))]);
    expect((await store.list()).map((account) => account.account)).toEqual(['a', 'b', 'c']);
    // Two stores on one file in one process: neither write fails on the other's temporary file.
    await Promise.all([fileStore(path).put(await record('d', 4)), fileStore(path).put(await record('e', 5))]);
    expect(readdirSync(dirname(path))).toEqual(['device.json']);
  });

  it('refuses a file that is not a device file with store_failed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'caisse-sdk-')), 'device.json');
    await import('node:fs/promises').then(({ writeFile }) => writeFile(path, '{"hello":1}'));
    await expect(fileStore(path).list()).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'store_failed'));
  });
});
