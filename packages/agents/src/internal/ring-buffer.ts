import type { Rng } from '@scale/workload';

/**
 * A fixed-capacity ring: appends until full, then overwrites the oldest slot; uniform sampling with
 * replacement from the caller's RNG. The replay buffer and DAgger's data set store their items in one;
 * each keeps its own checkpoint layout and hands the ring back the decoded items through `restore`.
 */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  /** The slot the next `add` writes. */
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bufferSize: expected an integer >= 1, received ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** The slot the next `add` writes (a checkpoint stores it, so a resumed ring overwrites the same slot). */
  get cursor(): number {
    return this.next;
  }

  add(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** `count` items drawn uniformly with replacement: one `rng.int` draw each. */
  sample(count: number, rng: Rng): T[] {
    const out: T[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.items[rng.int(0, this.items.length - 1)] as T;
    return out;
  }

  /** The stored items in slot order (not age order once the ring has wrapped). */
  contents(): readonly T[] {
    return this.items;
  }

  /**
   * Replaces the contents with a checkpoint's, in slot order, and its cursor. Rejects what `add` cannot
   * produce (more items than the capacity, a cursor off the ring or, before the ring is full, a cursor
   * other than the item count), since a checkpoint is read from disk.
   */
  restore(items: readonly T[], cursor: number, name: string): void {
    if (items.length > this.capacity) throw new Error(`checkpoint's ${name} holds ${items.length} items, the buffer's capacity is ${this.capacity}`);
    const expected = items.length < this.capacity ? `${items.length} (the item count: the buffer is not full)` : `an integer in [0, ${this.capacity - 1}]`;
    const valid = Number.isInteger(cursor) && (items.length < this.capacity ? cursor === items.length : cursor >= 0 && cursor < this.capacity);
    if (!valid) throw new Error(`checkpoint's ${name}/cursor: expected ${expected}, received ${cursor}`);
    this.items.length = 0;
    // A loop, not push(...items): a spread of a large buffer overflows the call's argument limit.
    for (const item of items) this.items.push(item);
    this.next = cursor;
  }
}
