import { describe, expect, it } from 'vitest';
import { type Expiry, ExpiryHeap } from './expiry-heap.js';

function drain(heap: ExpiryHeap): number[] {
  const order: number[] = [];
  for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
    order.push(top.expiresAt);
    heap.pop();
  }
  return order;
}

describe('ExpiryHeap', () => {
  it('gives expiries back earliest first, whatever the order they were pushed in', () => {
    const heap = new ExpiryHeap();
    const times = Array.from({ length: 1_000 }, (_, index) => (index * 7_919) % 1_000);
    for (const expiresAt of times) heap.push({ key: String(expiresAt), expiresAt });
    expect(heap.size).toBe(1_000);
    expect(drain(heap)).toEqual([...times].sort((a, b) => a - b));
    expect(heap.size).toBe(0);
  });

  it('keeps duplicates and survives popping when empty', () => {
    const heap = new ExpiryHeap();
    heap.pop();
    for (const expiresAt of [3, 1, 3, 1, 2]) heap.push({ key: 'k', expiresAt });
    expect(drain(heap)).toEqual([1, 1, 2, 3, 3]);
  });

  it('rebuilds from an unordered list', () => {
    const heap = new ExpiryHeap();
    heap.push({ key: 'dropped', expiresAt: 0 });
    const items: Expiry[] = [9, 4, 7, 1, 8, 2].map((expiresAt) => ({ key: String(expiresAt), expiresAt }));
    heap.rebuild(items);
    expect(drain(heap)).toEqual([1, 2, 4, 7, 8, 9]);
  });
});
