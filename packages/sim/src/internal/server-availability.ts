/** What `ServerAvailability` reads from the simulation. */
export interface AvailabilitySource {
  readonly now: number;
  isUp(server: number): boolean;
  isIdle(server: number): boolean;
  /** Time the server frees (now when idle); only asked for up servers. */
  freeAt(server: number): number;
  /** The n-th (0-based, by id) idle up server of the class, or -1. */
  nthIdleInClass(serverClass: number, n: number): number;
}

/**
 * When each up server can next start a task, as a list scheduler plans one mapping event: idle servers
 * now, busy ones when they free, and servers the plan has already given a task when that task ends.
 * Queries give a class's best two servers by (available-at, id) without looking at the whole class:
 * idle servers come first (in id order, from the idle bitsets), then the merge of the servers the plan
 * has reserved and the busy ones (two heaps; the busy one built the first time a plan runs out of a
 * class's idle servers). A plan costs O(N/32) per query and O(log m) per reservation, plus O(m) for a
 * class of m servers whose idle servers it uses up.
 */
export class ServerAvailability {
  private readonly memberStart: Int32Array;
  private readonly members: Int32Array;
  /**
   * Per class slice: min-heap of the busy up servers not reserved in this plan, by (free time, id),
   * valid when `busyBuilt[k] === stamp`.
   */
  private readonly busy: Int32Array;
  private readonly busyCount: Int32Array;
  private readonly busyBuilt: Int32Array;
  private readonly busyPosition: Int32Array;
  private readonly freeTime: Float64Array;
  /** Per class slice: min-heap of the servers reserved in this plan, by (available-at, id). */
  private readonly planned: Int32Array;
  private readonly plannedCount: Int32Array;
  private readonly plannedStamp: Int32Array;
  private readonly position: Int32Array;
  /** Idle servers of the class skipped so far in this plan (all reserved). */
  private readonly idleCursor: Int32Array;
  private readonly reservedAt: Int32Array;
  private readonly availableAt: Float64Array;
  /** Each class's best two, memoized until the next reservation in the class (`memoStamp` = plan, `memoPlanned` = reservations then). */
  private readonly memoFirst: Int32Array;
  private readonly memoSecond: Int32Array;
  /** Available-at of `memoFirst` / `memoSecond` (read by `topAt` after `top`). */
  private readonly memoFirstAt: Float64Array;
  private readonly memoSecondAt: Float64Array;
  private readonly memoStamp: Int32Array;
  private readonly memoPlanned: Int32Array;
  private readonly reservations: Int32Array;
  private stamp = 0;
  /** Bumped by every `begin` and `reserve`: the tops may have changed. */
  version = 0;
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
    this.busy = new Int32Array(n);
    this.busyCount = new Int32Array(classCount);
    this.busyBuilt = new Int32Array(classCount);
    this.busyPosition = new Int32Array(n);
    this.freeTime = new Float64Array(n);
    this.planned = new Int32Array(n);
    this.plannedCount = new Int32Array(classCount);
    this.plannedStamp = new Int32Array(classCount);
    this.position = new Int32Array(n);
    this.idleCursor = new Int32Array(classCount);
    this.reservedAt = new Int32Array(n);
    this.availableAt = new Float64Array(n);
    this.memoFirst = new Int32Array(classCount);
    this.memoSecond = new Int32Array(classCount);
    this.memoFirstAt = new Float64Array(classCount);
    this.memoSecondAt = new Float64Array(classCount);
    this.memoStamp = new Int32Array(classCount);
    this.memoPlanned = new Int32Array(classCount);
    this.reservations = new Int32Array(classCount);
  }

  /** Starts a new plan from the simulation's current state; earlier reservations are forgotten. */
  begin(source: AvailabilitySource): void {
    this.source = source;
    this.stamp++;
    this.version++;
  }

  /** Available-at of an up server in this plan. */
  at(server: number): number {
    return this.reservedAt[server] === this.stamp ? (this.availableAt[server] as number) : (this.source as AvailabilitySource).freeAt(server);
  }

  /** Whether `server` is up, so the plan may use it. */
  isCandidate(server: number): boolean {
    return (this.source as AvailabilitySource).isUp(server);
  }

  /** The `rank`-th (0 or 1) best up server of class `k` by (available-at, id), or -1. */
  top(k: number, rank: 0 | 1): number {
    this.ensurePlanned(k);
    if (this.memoStamp[k] !== this.stamp || this.memoPlanned[k] !== this.reservations[k]) {
      this.memoStamp[k] = this.stamp;
      this.memoPlanned[k] = this.reservations[k] as number;
      const first = this.idleUnreserved(k, 0);
      if (first >= 0) {
        this.memoFirst[k] = first;
        const second = this.idleUnreserved(k, 1);
        this.memoSecond[k] = second >= 0 ? second : this.laterBest(k, 0);
      } else {
        this.memoFirst[k] = this.laterBest(k, 0);
        this.memoSecond[k] = this.laterBest(k, 1);
      }
      const top0 = this.memoFirst[k] as number;
      const top1 = this.memoSecond[k] as number;
      // A top's available-at only changes by a reservation in its class, which clears this memo.
      this.memoFirstAt[k] = top0 >= 0 ? this.at(top0) : Number.POSITIVE_INFINITY;
      this.memoSecondAt[k] = top1 >= 0 ? this.at(top1) : Number.POSITIVE_INFINITY;
    }
    return (rank === 0 ? this.memoFirst[k] : this.memoSecond[k]) as number;
  }

  /** Available-at of `top(k, rank)`, valid right after that call. */
  topAt(k: number, rank: 0 | 1): number {
    return (rank === 0 ? this.memoFirstAt[k] : this.memoSecondAt[k]) as number;
  }

  /** The plan gives `server` (up) a task that ends at `until`, later than its current available-at. */
  reserve(server: number, until: number): void {
    const k = this.classOf[server] as number;
    this.ensurePlanned(k);
    this.version++;
    this.reservations[k] = (this.reservations[k] as number) + 1;
    const base = this.memberStart[k] as number;
    if (this.reservedAt[server] !== this.stamp) {
      if (this.busyBuilt[k] === this.stamp) this.removeBusy(k, server);
      this.reservedAt[server] = this.stamp;
      this.availableAt[server] = until;
      let i = this.plannedCount[k] as number;
      this.plannedCount[k] = i + 1;
      // Sift up.
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const p = this.planned[base + parent] as number;
        if (!this.before(server, p)) break;
        this.planned[base + i] = p;
        this.position[p] = parent;
        i = parent;
      }
      this.planned[base + i] = server;
      this.position[server] = i;
    } else {
      this.availableAt[server] = until;
      this.siftDown(k, this.position[server] as number);
    }
  }

  /** The `skip`-th (0 or 1) idle server of class `k` not yet reserved in this plan, or -1. */
  private idleUnreserved(k: number, skip: number): number {
    const source = this.source as AvailabilitySource;
    let n = this.idleCursor[k] as number;
    let j = source.nthIdleInClass(k, n);
    while (j >= 0 && this.reservedAt[j] === this.stamp) j = source.nthIdleInClass(k, ++n);
    this.idleCursor[k] = n;
    if (skip === 0 || j < 0) return j;
    j = source.nthIdleInClass(k, ++n);
    while (j >= 0 && this.reservedAt[j] === this.stamp) j = source.nthIdleInClass(k, ++n);
    return j;
  }

  /** The `rank`-th best among the class's reserved and busy servers, or -1. */
  private laterBest(k: number, rank: 0 | 1): number {
    this.ensurePlanned(k);
    this.ensureBusy(k);
    const base = this.memberStart[k] as number;
    const plannedCount = this.plannedCount[k] as number;
    const p0 = plannedCount > 0 ? (this.planned[base] as number) : -1;
    let p1 = -1;
    if (plannedCount === 2) p1 = this.planned[base + 1] as number;
    else if (plannedCount > 2) {
      const a = this.planned[base + 1] as number;
      const b = this.planned[base + 2] as number;
      p1 = this.before(a, b) ? a : b;
    }
    const busyCount = this.busyCount[k] as number;
    const b0 = busyCount > 0 ? (this.busy[base] as number) : -1;
    let b1 = -1;
    if (busyCount === 2) b1 = this.busy[base + 1] as number;
    else if (busyCount > 2) {
      const a = this.busy[base + 1] as number;
      const b = this.busy[base + 2] as number;
      b1 = this.busyBefore(a, b) ? a : b;
    }
    // Merge the two sorted pairs.
    const firstIsPlanned = p0 >= 0 && (b0 < 0 || this.before(p0, b0));
    if (rank === 0) return firstIsPlanned ? p0 : b0;
    if (firstIsPlanned) return p1 >= 0 && (b0 < 0 || this.before(p1, b0)) ? p1 : b0;
    return b1 >= 0 && (p0 < 0 || this.before(b1, p0)) ? b1 : p0;
  }

  private ensurePlanned(k: number): void {
    if (this.plannedStamp[k] === this.stamp) return;
    this.plannedStamp[k] = this.stamp;
    this.plannedCount[k] = 0;
    this.idleCursor[k] = 0;
    this.reservations[k] = 0;
  }

  private ensureBusy(k: number): void {
    if (this.busyBuilt[k] === this.stamp) return;
    this.busyBuilt[k] = this.stamp;
    const source = this.source as AvailabilitySource;
    const base = this.memberStart[k] as number;
    let count = 0;
    for (let i = base; i < (this.memberStart[k + 1] as number); i++) {
      const j = this.members[i] as number;
      this.busyPosition[j] = -1;
      if (!source.isUp(j) || source.isIdle(j) || this.reservedAt[j] === this.stamp) continue;
      this.freeTime[j] = source.freeAt(j);
      this.busy[base + count] = j;
      this.busyPosition[j] = count;
      count++;
    }
    this.busyCount[k] = count;
    for (let i = (count >> 1) - 1; i >= 0; i--) this.busySiftDown(k, i);
  }

  private busyBefore(a: number, b: number): boolean {
    const ta = this.freeTime[a] as number;
    const tb = this.freeTime[b] as number;
    return ta < tb || (ta === tb && a < b);
  }

  /** Takes a server the plan has just reserved out of its class's busy heap (if it is there). */
  private removeBusy(k: number, server: number): void {
    const p = this.busyPosition[server] as number;
    if (p < 0) return;
    const base = this.memberStart[k] as number;
    const last = (this.busyCount[k] as number) - 1;
    this.busyCount[k] = last;
    this.busyPosition[server] = -1;
    if (p === last) return;
    const moved = this.busy[base + last] as number;
    this.busy[base + p] = moved;
    this.busyPosition[moved] = p;
    // The moved server may belong above or below position p.
    let i = p;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const q = this.busy[base + parent] as number;
      if (!this.busyBefore(moved, q)) break;
      this.busy[base + i] = q;
      this.busyPosition[q] = i;
      i = parent;
    }
    this.busy[base + i] = moved;
    this.busyPosition[moved] = i;
    if (i === p) this.busySiftDown(k, p);
  }

  private busySiftDown(k: number, from: number): void {
    const base = this.memberStart[k] as number;
    const size = this.busyCount[k] as number;
    const heap = this.busy;
    let i = from;
    const item = heap[base + i] as number;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      let child = left;
      if (right < size && this.busyBefore(heap[base + right] as number, heap[base + left] as number)) child = right;
      const c = heap[base + child] as number;
      if (!this.busyBefore(c, item)) break;
      heap[base + i] = c;
      this.busyPosition[c] = i;
      i = child;
    }
    heap[base + i] = item;
    this.busyPosition[item] = i;
  }

  private before(a: number, b: number): boolean {
    const ta = this.at(a);
    const tb = this.at(b);
    return ta < tb || (ta === tb && a < b);
  }

  private siftDown(k: number, from: number): void {
    const base = this.memberStart[k] as number;
    const size = this.plannedCount[k] as number;
    const heap = this.planned;
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
