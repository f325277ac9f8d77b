import { describe, expect, it } from 'vitest';
import { paymentServer, verifyEndpoint } from './urls.js';

describe('paymentServer', () => {
  it('derives the pay and quote endpoints and the exact origin', () => {
    expect(paymentServer('https://pay.example')).toEqual({
      origin: 'https://pay.example',
      pay: 'https://pay.example/pay',
      quote: 'https://pay.example/quote',
    });
    expect(paymentServer('https://pay.example:8443/caisse/')).toEqual({
      origin: 'https://pay.example:8443',
      pay: 'https://pay.example:8443/caisse/pay',
      quote: 'https://pay.example:8443/caisse/quote',
    });
    expect(paymentServer('http://localhost:3000')?.pay).toBe('http://localhost:3000/pay');
    expect(paymentServer('http://pay.localhost')?.pay).toBe('http://pay.localhost/pay');
    expect(paymentServer('http://[::1]:3000')?.origin).toBe('http://[::1]:3000');
  });

  it('refuses plain http elsewhere, credentials, queries, fragments and non-URLs', () => {
    for (const server of [
      undefined,
      '',
      'pay.example',
      '/pay',
      'http://pay.example',
      'ftp://pay.example',
      'https://user:pw@pay.example',
      'https://pay.example/?a=1',
      'https://pay.example/#x',
      'javascript:alert(1)',
    ]) {
      expect(paymentServer(server), String(server)).toBeUndefined();
    }
  });
});

describe('verifyEndpoint', () => {
  it('resolves against the page, and allows the page own origin', () => {
    expect(verifyEndpoint('/caisse/return')).toBe('https://shop.example/caisse/return');
    expect(verifyEndpoint('https://api.shop.example/return')).toBe('https://api.shop.example/return');
    expect(verifyEndpoint(undefined)).toBeUndefined();
    expect(verifyEndpoint('http://shop.example/return')).toBeUndefined();
    expect(verifyEndpoint('data:text/plain,x')).toBeUndefined();
  });
});
