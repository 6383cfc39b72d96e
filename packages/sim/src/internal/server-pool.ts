import type { ServerSpec } from '../cluster.js';
import { clearBit, firstSetFrom, nthSet, setBit } from './bitset.js';

/** `ServerPool.task` of a server running nothing. */
export const NOT_BUSY = -1;

/** Up-time, occupied time and energy of the whole pool up to a time (for metrics). */
export interface PoolUsage {
  readonly upTime: number;
  readonly occupied: number;
  readonly energy: number;
}

/**
 * The servers of a run: their specs, who is up, what each one runs, the idle sets, and up-time
 * accounting. Servers with identical compute, memory and power form a class with its own idle bitset,
 * so "an idle server that fits" costs O(classes + N/32), not O(N).
 */
export class ServerPool {
  readonly count: number;
  readonly compute: Float64Array;
  readonly memory: Float64Array;
  readonly idlePower: Float64Array;
  readonly busyPower: Float64Array;
  readonly up: Uint8Array;
  /** Task running on (or holding) the server, or NOT_BUSY. */
  readonly task: Int32Array;
  /** Compute start and end of the server's current attempt. */
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** When the current attempt took the server. */
  readonly assigned: Float64Array;
  /** Attempt index of the current attempt, -1 when idle. */
  readonly attempt: Int32Array;
  /** 1 while a leave waits for the running task to finish. */
  readonly leaving: Uint8Array;
  /** Each server's up intervals so far; the last one is open while the server is up. */
  readonly upIntervals: [number, number | null][][];
  private readonly upSince: Float64Array;
  private readonly upTime: Float64Array;
  private readonly occupiedTime: Float64Array;
  private readonly computeTime: Float64Array;
  /** Servers up right now. */
  upCount = 0;

  readonly classCount: number;
  readonly classOf: Int32Array;
  readonly classCompute: Float64Array;
  readonly classMemory: Float64Array;
  readonly classIdleCount: Int32Array;
  /** Classes by memory, largest first: the first with an idle server gives the largest idle memory. */
  private readonly classesByMemory: Int32Array;
  private readonly words: number;
  private readonly classIdleBits: Uint32Array;
  private readonly idleBits: Uint32Array;

  /** A pool of `servers`, all down and idle; or, given a pool, its fork (`fork()`). */
  constructor(source: readonly ServerSpec[] | ServerPool) {
    if (source instanceof ServerPool) {
      // The specs and classes never change: shared. The dynamic state: copied.
      this.count = source.count;
      this.compute = source.compute;
      this.memory = source.memory;
      this.idlePower = source.idlePower;
      this.busyPower = source.busyPower;
      this.classCount = source.classCount;
      this.classOf = source.classOf;
      this.classCompute = source.classCompute;
      this.classMemory = source.classMemory;
      this.classesByMemory = source.classesByMemory;
      this.words = source.words;
      this.up = source.up.slice();
      this.task = source.task.slice();
      this.start = source.start.slice();
      this.end = source.end.slice();
      this.assigned = source.assigned.slice();
      this.attempt = source.attempt.slice();
      this.leaving = source.leaving.slice();
      this.upSince = source.upSince.slice();
      this.upTime = source.upTime.slice();
      this.occupiedTime = source.occupiedTime.slice();
      this.computeTime = source.computeTime.slice();
      this.upIntervals = source.upIntervals.map((intervals) => intervals.map(([from, to]): [number, number | null] => [from, to]));
      this.upCount = source.upCount;
      this.classIdleCount = source.classIdleCount.slice();
      this.classIdleBits = source.classIdleBits.slice();
      this.idleBits = source.idleBits.slice();
      return;
    }
    const servers = source;
    const n = (this.count = servers.length);
    this.compute = Float64Array.from(servers, (s) => s.compute);
    this.memory = Float64Array.from(servers, (s) => s.memory);
    this.idlePower = Float64Array.from(servers, (s) => s.idlePower);
    this.busyPower = Float64Array.from(servers, (s) => s.busyPower);
    this.up = new Uint8Array(n);
    this.task = new Int32Array(n).fill(NOT_BUSY);
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.assigned = new Float64Array(n);
    this.attempt = new Int32Array(n).fill(-1);
    this.leaving = new Uint8Array(n);
    this.upSince = new Float64Array(n);
    this.upTime = new Float64Array(n);
    this.occupiedTime = new Float64Array(n);
    this.computeTime = new Float64Array(n);
    this.upIntervals = servers.map(() => []);
    const classKeys = new Map<string, number>();
    this.classOf = new Int32Array(n);
    const classCompute: number[] = [];
    const classMemory: number[] = [];
    servers.forEach((s, j) => {
      const key = `${s.compute}/${s.memory}/${s.idlePower}/${s.busyPower}`;
      let k = classKeys.get(key);
      if (k === undefined) {
        k = classCompute.length;
        classKeys.set(key, k);
        classCompute.push(s.compute);
        classMemory.push(s.memory);
      }
      this.classOf[j] = k;
    });
    this.classCount = classCompute.length;
    this.classCompute = Float64Array.from(classCompute);
    this.classMemory = Float64Array.from(classMemory);
    this.classIdleCount = new Int32Array(this.classCount);
    this.classesByMemory = Int32Array.from(
      classMemory.map((_, k) => k).sort((a, b) => (classMemory[b] as number) - (classMemory[a] as number) || a - b),
    );
    this.words = (n + 31) >>> 5;
    this.classIdleBits = new Uint32Array(this.classCount * this.words);
    this.idleBits = new Uint32Array(this.words);
  }

  /** An independent copy: the same servers, up, busy and idle as now, with the same accounting (`Simulation.fork()`). */
  fork(): ServerPool {
    return new ServerPool(this);
  }

  /** Lowest-id idle up server of class `k`, or -1. */
  firstIdleInClass(k: number): number {
    return firstSetFrom(this.classIdleBits, k * this.words, this.words, 0);
  }

  /** The n-th (0-based, by id) idle up server of class `k`, or -1. */
  nthIdleInClass(k: number, n: number): number {
    return nthSet(this.classIdleBits, k * this.words, this.words, n);
  }

  /** Lowest-id idle up server with id >= `from`, or -1. */
  firstIdleFrom(from: number): number {
    return firstSetFrom(this.idleBits, 0, this.words, from);
  }

  /** Largest memory among idle up servers (-Infinity when none is idle). */
  largestIdleMemory(): number {
    for (let i = 0; i < this.classCount; i++) {
      const k = this.classesByMemory[i] as number;
      if ((this.classIdleCount[k] as number) > 0) return this.classMemory[k] as number;
    }
    return Number.NEGATIVE_INFINITY;
  }

  markIdle(server: number): void {
    const k = this.classOf[server] as number;
    setBit(this.classIdleBits, k * this.words, server);
    setBit(this.idleBits, 0, server);
    this.classIdleCount[k] = (this.classIdleCount[k] as number) + 1;
  }

  markNotIdle(server: number): void {
    const k = this.classOf[server] as number;
    clearBit(this.classIdleBits, k * this.words, server);
    clearBit(this.idleBits, 0, server);
    this.classIdleCount[k] = (this.classIdleCount[k] as number) - 1;
  }

  /** The server joins at `now`, idle. */
  bringUp(server: number, now: number): void {
    this.up[server] = 1;
    this.upSince[server] = now;
    (this.upIntervals[server] as [number, number | null][]).push([now, null]);
    this.upCount++;
    this.markIdle(server);
  }

  /** The server goes down at `now`; it must be idle (its task released first). */
  takeDown(server: number, now: number): void {
    this.up[server] = 0;
    this.leaving[server] = 0;
    this.upTime[server] = (this.upTime[server] as number) + now - (this.upSince[server] as number);
    const intervals = this.upIntervals[server] as [number, number | null][];
    (intervals[intervals.length - 1] as [number, number | null])[1] = now;
    this.upCount--;
    this.markNotIdle(server);
  }

  /** The server takes `task` as attempt `attempt` at `now`, computing over [start, end). */
  occupy(server: number, task: number, attempt: number, now: number, start: number, end: number): void {
    this.markNotIdle(server);
    this.task[server] = task;
    this.attempt[server] = attempt;
    this.assigned[server] = now;
    this.start[server] = start;
    this.end[server] = end;
  }

  /** Closes the server's current attempt at `now`: accounting only (the caller marks it idle or down). */
  release(server: number, now: number): void {
    this.occupiedTime[server] = (this.occupiedTime[server] as number) + now - (this.assigned[server] as number);
    this.computeTime[server] = (this.computeTime[server] as number) + Math.max(0, now - (this.start[server] as number));
    this.task[server] = NOT_BUSY;
    this.attempt[server] = -1;
  }

  /** Instantaneous power draw (W) at `now`: busy power while computing, idle power otherwise, 0 when down. */
  power(server: number, now: number): number {
    if (this.up[server] !== 1) return 0;
    const computing = this.task[server] !== NOT_BUSY && (this.start[server] as number) <= now;
    return (computing ? this.busyPower[server] : this.idlePower[server]) as number;
  }

  /** Totals over all servers up to `now`, open intervals and attempts included. */
  usage(now: number): PoolUsage {
    let upTime = 0;
    let occupied = 0;
    let energy = 0;
    for (let j = 0; j < this.count; j++) {
      let up = this.upTime[j] as number;
      if (this.up[j] === 1) up += now - (this.upSince[j] as number);
      let occ = this.occupiedTime[j] as number;
      let comp = this.computeTime[j] as number;
      if (this.task[j] !== NOT_BUSY) {
        occ += now - (this.assigned[j] as number);
        comp += Math.max(0, now - (this.start[j] as number));
      }
      upTime += up;
      occupied += occ;
      energy += (this.idlePower[j] as number) * (up - comp) + (this.busyPower[j] as number) * comp;
    }
    return { upTime, occupied, energy };
  }
}
