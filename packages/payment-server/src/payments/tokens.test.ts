import { itemsDigest } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { voucherItemsDigest } from './tokens.js';

describe('voucherItemsDigest', () => {
  it.each([
    ['no items', []],
    ['one item', [{ id: 'issue', label: 'Today’s issue', quantity: 1, unitAmount: 100, vatRate: 210 }]],
    [
      'several, with text to escape and outside ASCII',
      [
        { id: 'a', label: 'Café "noir" \\ 1€ \u2028', quantity: 3, unitAmount: 250, vatRate: 550 },
        { id: 'b-2', label: '本 📚', quantity: 1, unitAmount: 1_999, vatRate: 2_000 },
      ],
    ],
  ])('is itemsDigest of @caisse/protocol, computed in this thread (%s)', async (_what, items) => {
    expect(voucherItemsDigest(items)).toBe(await itemsDigest(items));
  });
});
