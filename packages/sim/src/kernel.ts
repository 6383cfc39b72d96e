/**
 * A small discrete-event kernel in the SimPy mould: a clock, and a queue of typed events ordered by
 * (time, priority, sequence), dispatched through one handler table. It knows nothing about clusters.
 *
 * The queue is a binary heap over parallel typed arrays (no object per event), because a simulation
 * of N = 1024 servers pushes and pops millions of events per second of wall time.
 */
export type EventHandler = (a: number, b: number, time: number) => void;

/** Priority rank bits: `rank = priority * 2^40 + sequence` keeps (priority, sequence) in one exact double. */
const PRIORITY_SCALE = 2 ** 40;

export class EventQueue {
  private times = new Float64Array(64);
  private ranks = new Float64Array(64);
  private kinds = new Uint8Array(64);
  private as = new Int32Array(64);
  private bs = new Int32Array(64);
  private count = 0;
  private sequence = 0;

  /** Fields of the event `pop()` removed last. */
  poppedTime = 0;
  poppedKind = 0;
  poppedA = 0;
  poppedB = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event, or +Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.times[0] as number);
  }

  push(time: number, priority: number, kind: number, a: number, b: number): void {
    if (this.count === this.times.length) this.grow();
    const rank = priority * PRIORITY_SCALE + this.sequence++;
    // Sift up: move parents down until the new event's slot is found.
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent] as number;
      if (pt < time || (pt === time && (this.ranks[parent] as number) < rank)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, time, rank, kind, a, b);
  }

  /** Removes the earliest event into `popped*`; returns false when empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    this.poppedTime = this.times[0] as number;
    this.poppedKind = this.kinds[0] as number;
    this.poppedA = this.as[0] as number;
    this.poppedB = this.bs[0] as number;
    const last = --this.count;
    if (last > 0) {
      const time = this.times[last] as number;
      const rank = this.ranks[last] as number;
      const kind = this.kinds[last] as number;
      const a = this.as[last] as number;
      const b = this.bs[last] as number;
      // Sift down from the root.
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= last) break;
        const right = child + 1;
        if (right < last && this.before(right, child)) child = right;
        const ct = this.times[child] as number;
        if (ct > time || (ct === time && (this.ranks[child] as number) > rank)) break;
        this.move(child, i);
        i = child;
      }
      this.set(i, time, rank, kind, a, b);
    }
    return true;
  }

  /** Makes this queue a copy of `other`: the same events, sequence counter and last popped event. */
  copyFrom(other: EventQueue): void {
    this.times = other.times.slice();
    this.ranks = other.ranks.slice();
    this.kinds = other.kinds.slice();
    this.as = other.as.slice();
    this.bs = other.bs.slice();
    this.count = other.count;
    this.sequence = other.sequence;
    this.poppedTime = other.poppedTime;
    this.poppedKind = other.poppedKind;
    this.poppedA = other.poppedA;
    this.poppedB = other.poppedB;
  }

  clear(): void {
    this.count = 0;
    this.sequence = 0;
  }

  private before(i: number, j: number): boolean {
    const ti = this.times[i] as number;
    const tj = this.times[j] as number;
    return ti < tj || (ti === tj && (this.ranks[i] as number) < (this.ranks[j] as number));
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.ranks[to] = this.ranks[from] as number;
    this.kinds[to] = this.kinds[from] as number;
    this.as[to] = this.as[from] as number;
    this.bs[to] = this.bs[from] as number;
  }

  private set(i: number, time: number, rank: number, kind: number, a: number, b: number): void {
    this.times[i] = time;
    this.ranks[i] = rank;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
  }

  private grow(): void {
    const size = this.times.length * 2;
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.ranks = grow(this.ranks, (n) => new Float64Array(n));
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.as = grow(this.as, (n) => new Int32Array(n));
    this.bs = grow(this.bs, (n) => new Int32Array(n));
  }
}

/** Event kinds and their tie-break priority at one instant: completions, failures, joins, arrivals. */
export const EventKind = {
  Completion: 0,
  Failure: 1,
  Leave: 2,
  Join: 3,
  Arrival: 4,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** DESIGN.md section 2: at one instant, completions, then failures (and leaves), then joins, then arrivals. */
export const EVENT_PRIORITY: readonly number[] = [0, 1, 1, 2, 3];

/** The clock, the queue and the dispatch table. */
export class Kernel {
  now = 0;
  readonly queue = new EventQueue();

  constructor(private readonly handlers: readonly EventHandler[]) {}

  schedule(time: number, kind: EventKind, a = 0, b = 0): void {
    if (!(time >= this.now)) throw new RangeError(`cannot schedule an event at ${time}, before now (${this.now})`);
    this.queue.push(time, EVENT_PRIORITY[kind] as number, kind, a, b);
  }

  /** Makes this kernel's clock and queue copies of `other`'s (the handler tables stay each kernel's own). */
  copyStateFrom(other: Kernel): void {
    this.now = other.now;
    this.queue.copyFrom(other.queue);
  }

  /** Time of the next event (+Infinity when none). */
  nextTime(): number {
    return this.queue.peekTime();
  }

  /** Dispatches every event with time <= `until`, in order, moving the clock to each. */
  runUntil(until: number): void {
    const queue = this.queue;
    while (queue.size > 0 && queue.peekTime() <= until) {
      queue.pop();
      this.now = queue.poppedTime;
      (this.handlers[queue.poppedKind] as EventHandler)(queue.poppedA, queue.poppedB, queue.poppedTime);
    }
  }
}
