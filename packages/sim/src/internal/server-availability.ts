/**
 * When each up server can next start a task, as a list scheduler plans one mapping event: idle servers
 * now, busy ones when they free, and servers the plan has already given a task when that task ends.
 * One min-heap per server class keyed by (available-at, id), built lazily the first time the plan
 * touches the class, so a plan costs O(size of the classes it touches) plus O(log) per reservation.
 */
export interface AvailabilitySource {
  readonly now: number;
  isUp(server: number): boolean;
  /** Time the server frees (now when idle); only asked for up servers. */
  freeAt(server: number): number;
}

export class ServerAvailability {
  /** Class members, CSR by class. */
  private readonly memberStart: Int32Array;
  private readonly members: Int32Array;
  /** Heap of up servers per class, stored in the class's slice of `heap`. */
  private readonly heap: Int32Array;
  private readonly heapSize: Int32Array;
  private readonly position: Int32Array;
  private readonly builtAt: Int32Array;
  /** When each server can start its next task in this plan (valid once its class is built). */
  readonly availableAt: Float64Array;
  private stamp = 0;
  private source: AvailabilitySource | null = null;

  constructor(
    private readonly classOf: Int32Array,
    classCount: number,
  ) {
    const n = classOf.length;
    this.memberStart = new Int32Array(classCount + 1);
    for (let j = 0; j < n; j++) this.memberStart[(classOf[j] as number) + 1] = (this.memberStart[(classOf[j] as number) + 1] as number) + 1;
    for (let k = 0; k < classCount; k++) this.memberStart[k + 1] = (this.memberStart[k + 1] as number) + (this.memberStart[k] as number);
    this.members = new Int32Array(n);
    const fill = this.memberStart.slice(0, classCount);
    for (let j = 0; j < n; j++) {
      const k = classOf[j] as number;
      this.members[fill[k] as number] = j;
      fill[k] = (fill[k] as number) + 1;
    }
    this.heap = new Int32Array(n);
    this.heapSize = new Int32Array(classCount);
    this.position = new Int32Array(n);
    this.builtAt = new Int32Array(classCount);
    this.availableAt = new Float64Array(n);
  }

  /** Starts a new plan from the simulation's current state; earlier reservations are forgotten. */
  begin(source: AvailabilitySource): void {
    this.source = source;
    this.stamp++;
  }

  /** The `rank`-th (0 or 1) best server of class `k` by (available-at, id), or -1. */
  top(k: number, rank: 0 | 1): number {
    this.ensure(k);
    const base = this.memberStart[k] as number;
    const size = this.heapSize[k] as number;
    if (rank === 0) return size > 0 ? (this.heap[base] as number) : -1;
    if (size < 2) return -1;
    if (size === 2) return this.heap[base + 1] as number;
    const a = this.heap[base + 1] as number;
    const b = this.heap[base + 2] as number;
    return this.before(a, b) ? a : b;
  }

  /** Available-at of an up server (builds its class if needed). */
  at(server: number): number {
    this.ensure(this.classOf[server] as number);
    return this.availableAt[server] as number;
  }

  /** Whether `server` is up (in its class heap) in this plan. */
  isCandidate(server: number): boolean {
    const k = this.classOf[server] as number;
    this.ensure(k);
    const p = this.position[server] as number;
    return p >= 0 && p < (this.heapSize[k] as number) && this.heap[(this.memberStart[k] as number) + p] === server;
  }

  /** The plan gives `server` a task that ends at `until` (later than its current available-at). */
  reserve(server: number, until: number): void {
    const k = this.classOf[server] as number;
    this.ensure(k);
    this.availableAt[server] = until;
    this.siftDown(k, this.position[server] as number);
  }

  private before(a: number, b: number): boolean {
    const ta = this.availableAt[a] as number;
    const tb = this.availableAt[b] as number;
    return ta < tb || (ta === tb && a < b);
  }

  private ensure(k: number): void {
    if (this.builtAt[k] === this.stamp) return;
    this.builtAt[k] = this.stamp;
    const source = this.source as AvailabilitySource;
    const base = this.memberStart[k] as number;
    let size = 0;
    for (let i = base; i < (this.memberStart[k + 1] as number); i++) {
      const j = this.members[i] as number;
      this.position[j] = -1;
      if (!source.isUp(j)) continue;
      this.availableAt[j] = source.freeAt(j);
      this.heap[base + size] = j;
      this.position[j] = size;
      size++;
    }
    this.heapSize[k] = size;
    for (let i = (size >> 1) - 1; i >= 0; i--) this.siftDown(k, i);
  }

  private siftDown(k: number, from: number): void {
    const base = this.memberStart[k] as number;
    const size = this.heapSize[k] as number;
    const heap = this.heap;
    let i = from;
    const item = heap[base + i] as number;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      let child = left;
      if (right < size && this.before(heap[base + right] as number, heap[base + left] as number)) child = right;
      const c = heap[base + child] as number;
      if (!this.before(c, item)) break;
      heap[base + i] = c;
      this.position[c] = i;
      i = child;
    }
    heap[base + i] = item;
    this.position[item] = i;
  }
}
