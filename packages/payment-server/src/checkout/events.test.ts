import { describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { createSessionEvents } from './events.js';

describe('session events', () => {
  it('tries LISTEN again for the next feed after it failed once', async () => {
    let calls = 0;
    let deliver: ((payload: string) => void) | undefined;
    const db = {
      async listen(_channel: string, onPayload: (payload: string) => void) {
        calls++;
        if (calls === 1) throw new Error('connection refused');
        deliver = onPayload;
        return async () => {};
      },
    } as unknown as Database;
    const events = createSessionEvents(db);
    await expect(events.subscribe('s-1', () => {})).rejects.toThrow('connection refused');
    let woken = 0;
    await events.subscribe('s-1', () => woken++);
    deliver?.('s-1');
    expect(calls).toBe(2);
    expect(woken).toBe(1);
    await events.close();
  });

  it('wakes every feed when LISTEN comes back after a drop, since a move in the gap was never heard', async () => {
    let resume: (() => void) | undefined;
    const db = {
      async listen(_channel: string, _onPayload: (payload: string) => void, options?: { onResume?: () => void }) {
        resume = options?.onResume;
        return async () => {};
      },
    } as unknown as Database;
    const events = createSessionEvents(db);
    const woken: string[] = [];
    await events.subscribe('s-1', () => woken.push('s-1'));
    await events.subscribe('s-2', () => woken.push('s-2'));
    const stop = await events.subscribe('s-3', () => woken.push('s-3'));
    stop();
    resume?.();
    expect(woken.sort()).toEqual(['s-1', 's-2']);
    await events.close();
  });
});
