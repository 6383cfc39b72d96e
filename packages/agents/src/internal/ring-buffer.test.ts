import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

/** A stream whose draws count up, so `sample(size)` reads every slot in order. */
function counting() {
  let next = 0;
  return { int: () => next++ } as never;
}

describe('RingBuffer', () => {
  it('keeps the last `capacity` items, and a restored copy continues exactly as the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer(), { maxLength: 30 }), fc.array(fc.integer(), { maxLength: 12 }), (capacity, first, then) => {
        const ring = new RingBuffer<number>(capacity);
        for (const item of first) ring.add(item);
        expect(ring.size).toBe(Math.min(capacity, first.length));
        expect([...ring.contents()].sort((a, b) => a - b)).toEqual(first.slice(-capacity).sort((a, b) => a - b));
        // A checkpoint is the slot-order contents and the cursor.
        const restored = new RingBuffer<number>(capacity);
        restored.restore(ring.contents(), ring.cursor, 'items');
        for (const item of then) {
          ring.add(item);
          restored.add(item);
        }
        expect(restored.contents()).toEqual(ring.contents());
        expect(restored.sample(restored.size, counting())).toEqual(ring.sample(ring.size, counting()));
      }),
    );
  });

  it('rejects a checkpoint that adding items could not have produced, naming the field', () => {
    const ring = new RingBuffer<number>(4);
    expect(() => ring.restore([1, 2, 3, 4, 5], 0, 'replay')).toThrow("checkpoint's replay holds 5 items, the buffer's capacity is 4");
    expect(() => ring.restore([1, 2], 0, 'replay')).toThrow("checkpoint's replay/cursor: expected 2 (the item count: the buffer is not full), received 0");
    expect(() => ring.restore([1, 2, 3, 4], 4, 'replay')).toThrow("checkpoint's replay/cursor: expected an integer in [0, 3], received 4");
    expect(() => ring.restore([1, 2, 3, 4], 1.5, 'replay')).toThrow('received 1.5');
    // A rejected checkpoint leaves the ring as it was.
    ring.add(7);
    expect(() => ring.restore([1, 2, 3, 4], -1, 'replay')).toThrow('received -1');
    expect([ring.contents(), ring.cursor]).toEqual([[7], 1]);
    expect(() => new RingBuffer(0)).toThrow('bufferSize: expected an integer >= 1, received 0');
  });
});
