import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../src/sources/docker/limit.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('keeps input order whatever the completion order', async () => {
    const out = await mapLimit([30, 5, 20, 1, 10], 3, async (ms, i) => {
      await sleep(ms);
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
  });

  it('never runs more than `limit` calls at once, and does use the limit', async () => {
    let running = 0;
    let peak = 0;
    await mapLimit(Array.from({ length: 20 }, (_, i) => i), 4, async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(2);
      running--;
    });
    expect(peak).toBe(4);
    expect(running).toBe(0);
  });

  it('returns [] for no items without calling fn', async () => {
    let calls = 0;
    expect(await mapLimit([], 5, async () => ++calls)).toEqual([]);
    expect(calls).toBe(0);
  });

  it('rejects with the first error, starts nothing new, and waits for calls in flight', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const boom = new Error('boom at 1');
    const p = mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw boom;
      await sleep(20);
      finished.push(n);
      return n;
    });
    await expect(p).rejects.toBe(boom);
    // 0 was in flight when 1 failed: it is allowed to finish before the rejection; 2.. never start.
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([0]);
  });

  it('treats a synchronous throw like a rejection', async () => {
    await expect(
      mapLimit([1], 1, () => {
        throw new TypeError('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('rejects a non-positive or fractional limit', async () => {
    await expect(mapLimit([1], 0, async (x) => x)).rejects.toThrow(RangeError);
    await expect(mapLimit([1], 1.5, async (x) => x)).rejects.toThrow(/positive integer/);
  });
});
