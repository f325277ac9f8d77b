/** One scheduled expiry; it is stale once its key was released or claimed again with another expiry. */
export interface Expiry {
  key: string;
  expiresAt: number;
}

/**
 * A binary min-heap of expiries, earliest first: the memory replay store pops expired
 * records from the top instead of scanning every record.
 *
 * @example
 * const heap = new ExpiryHeap();
 * heap.push({ key: 'a', expiresAt: 2_000 });
 * heap.push({ key: 'b', expiresAt: 1_000 });
 * heap.peek(); // { key: 'b', expiresAt: 1_000 }
 */
export class ExpiryHeap {
  #items: Expiry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Expiry | undefined {
    return this.#items[0];
  }

  push(item: Expiry): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.#at(parent).expiresAt <= item.expiresAt) break;
      items[index] = this.#at(parent);
      index = parent;
    }
    items[index] = item;
  }

  pop(): void {
    const items = this.#items;
    const last = items.pop();
    if (last === undefined || items.length === 0) return;
    this.#siftDown(0, last);
  }

  rebuild(items: Expiry[]): void {
    this.#items = items;
    for (let index = (items.length >> 1) - 1; index >= 0; index--) this.#siftDown(index, this.#at(index));
  }

  #siftDown(start: number, item: Expiry): void {
    const items = this.#items;
    const length = items.length;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && this.#at(child + 1).expiresAt < this.#at(child).expiresAt) child++;
      if (item.expiresAt <= this.#at(child).expiresAt) break;
      items[index] = this.#at(child);
      index = child;
    }
    items[index] = item;
  }

  /** Indexed read for positions the caller has bounds-checked (`noUncheckedIndexedAccess`). */
  #at(index: number): Expiry {
    return this.#items[index] as Expiry;
  }
}
