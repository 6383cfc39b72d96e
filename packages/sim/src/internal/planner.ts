import type { SimulationView } from '../view.js';
import { ServerAvailability, type AvailabilitySource } from './server-availability.js';

/**
 * The shared machinery of the busy-aware list and batch schedulers (HEFT, CPoP, MCT, MET, MinMin,
 * MaxMin, Sufferage). At a mapping event (the first decision after anything but this plan's own
 * starts changed the simulation) a scheduler plans every ready task onto the up servers, busy ones at
 * the time they free, as its textbook static loop would; the plan's steps that land on an idle server
 * start now, one decision each, and the rest wait for the next event, when the scheduler plans again.
 *
 * Finish time of task t on server j: max(now, available-at of j, data-ready time of t on j) + c_t / C_j
 * (data-ready only when transfers delay the start). Ties: earlier finish, then the server available
 * first, then the lowest id.
 */
export class Planner implements AvailabilitySource {
  readonly availability: ServerAvailability;
  /** Result of the last `evaluate`: best and second-best server and their finish times (-1 / Infinity when none). */
  best = -1;
  bestFinish = Number.POSITIVE_INFINITY;
  second = -1;
  secondFinish = Number.POSITIVE_INFINITY;
  /** Available-at of `best` and `second` (their tie-break). */
  private bestAt = 0;
  private secondAt = 0;

  private readonly classMemory: Float64Array;
  /**
   * Tops table, slot 2k + rank: class k's `rank`-th server by available-at (-1 when none), its
   * available-at and speed; valid while `topsVersion` equals the availability's version.
   */
  private readonly topServer: Int32Array;
  private readonly topAt: Float64Array;
  private readonly topCompute: Float64Array;
  private topsVersion = -1;
  private readonly delaysStart: boolean;
  private readonly startTask: Int32Array;
  private readonly startServer: Int32Array;
  private startCount = 0;
  private cursor = 0;
  private planNow = Number.NaN;
  private planDecisions = -1;
  private planDone = -1;
  private planDeferrals = -1;
  private planArrived = -1;
  private planUp = -1;
  private planInterrupted = -1;
  private idleLeft = 0;
  /** Per class: idle servers still free now in the plan; and the largest memory among classes with one. */
  private readonly idleInClass: Int32Array;
  private idleMemory = Number.NEGATIVE_INFINITY;
  /** Bumped whenever a class runs out of idle servers free now (so `canStart` answers may turn false). */
  idleVersion = 0;

  constructor(private readonly sim: SimulationView) {
    this.availability = new ServerAvailability(
      Int32Array.from({ length: sim.serverCount }, (_, j) => sim.serverClass(j)),
      sim.classCount,
    );
    this.classMemory = Float64Array.from({ length: sim.classCount }, (_, k) => sim.classMemory(k));
    this.delaysStart = sim.options.communication === 'delays-start';
    this.idleInClass = new Int32Array(sim.classCount);
    this.topServer = new Int32Array(2 * sim.classCount);
    this.topAt = new Float64Array(2 * sim.classCount);
    this.topCompute = new Float64Array(2 * sim.classCount);
    this.startTask = new Int32Array(sim.serverCount);
    this.startServer = new Int32Array(sim.serverCount);
  }

  /** Whether the current plan still stands: nothing but its own starts happened since it was made. */
  planStands(): boolean {
    const sim = this.sim;
    return (
      sim.now === this.planNow &&
      sim.decisions === this.planDecisions + this.cursor &&
      sim.doneTasks === this.planDone &&
      sim.deferrals === this.planDeferrals &&
      sim.arrivedTasks === this.planArrived &&
      sim.serversUp === this.planUp &&
      sim.interruptedAttempts === this.planInterrupted
    );
  }

  /** Starts a new plan at the simulation's current state. */
  beginPlan(): void {
    const sim = this.sim;
    this.planNow = sim.now;
    this.planDecisions = sim.decisions;
    this.planDone = sim.doneTasks;
    this.planDeferrals = sim.deferrals;
    this.planArrived = sim.arrivedTasks;
    this.planUp = sim.serversUp;
    this.planInterrupted = sim.interruptedAttempts;
    this.startCount = 0;
    this.cursor = 0;
    let idle = 0;
    for (let k = 0; k < sim.classCount; k++) {
      const count = sim.idleCountInClass(k);
      this.idleInClass[k] = count;
      idle += count;
    }
    this.idleLeft = idle;
    this.updateIdleMemory();
    this.availability.begin(this);
  }

  /**
   * Memory of the largest class that still has an idle server free now in the plan (-Infinity when
   * none). A step can start a task only on such a server, and only if the task fits it: once no
   * unplanned task has memory <= this, the plan's remaining steps are all reservations. It only
   * decreases during a plan.
   */
  get largestIdleMemory(): number {
    return this.idleMemory;
  }

  /** Whether some idle server is still unplanned (once none is, further steps can only wait). */
  get idleServersLeft(): boolean {
    return this.idleLeft > 0;
  }

  /** Plans `task` on `server` until `finish`; a server idle now makes it a start. */
  place(task: number, server: number, finish: number): void {
    const sim = this.sim;
    if (sim.isIdle(server) && this.availability.at(server) === sim.now) {
      this.startTask[this.startCount] = task;
      this.startServer[this.startCount] = server;
      this.startCount++;
      this.idleLeft--;
      // The server stays free now (a second start there) only if the task ends now.
      if (finish !== sim.now) {
        const k = sim.serverClass(server);
        const left = (this.idleInClass[k] as number) - 1;
        this.idleInClass[k] = left;
        if (left === 0) {
          this.idleVersion++;
          this.updateIdleMemory();
        }
      }
    }
    this.availability.reserve(server, finish);
  }

  /**
   * Whether a step of this plan could still start `task` now: some class that holds it still has an
   * idle server free now; with `fastest` (MET's rule, `evaluateFastest`), one of the fastest classes
   * that hold it and have an up server. Once false it stays false for the rest of the plan.
   */
  canStart(task: number, fastest: boolean): boolean {
    const memory = this.sim.taskMemory(task);
    if (!fastest) return memory <= this.idleMemory;
    const classMemory = this.classMemory;
    let compute = Number.NEGATIVE_INFINITY;
    let idle = false;
    for (let k = 0; k < classMemory.length; k++) {
      if ((classMemory[k] as number) < memory || this.availability.top(k, 0) < 0) continue;
      const c = this.sim.classCompute(k);
      if (c > compute) {
        compute = c;
        idle = false;
      }
      if (c === compute && (this.idleInClass[k] as number) > 0) idle = true;
    }
    return idle;
  }

  private updateIdleMemory(): void {
    let memory = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < this.classMemory.length; k++) {
      if ((this.idleInClass[k] as number) > 0 && (this.classMemory[k] as number) > memory) memory = this.classMemory[k] as number;
    }
    this.idleMemory = memory;
  }

  /** The next start of the standing plan as [task, server] in `out`; false when the plan has none left. */
  nextStart(out: { task: number; server: number }): boolean {
    if (this.cursor >= this.startCount) return false;
    out.task = this.startTask[this.cursor] as number;
    out.server = this.startServer[this.cursor] as number;
    this.cursor++;
    return true;
  }

  /** Finish time of `task` on `server` in the plan. */
  finish(task: number, server: number): number {
    const sim = this.sim;
    let start = this.availability.at(server);
    if (start < sim.now) start = sim.now;
    if (sim.options.communication === 'delays-start') {
      const ready = sim.dataReadyTime(task, server);
      if (ready > start) start = ready;
    }
    return start + sim.taskCompute(task) / sim.serverCompute(server);
  }

  /**
   * Earliest-finish servers of `task` over the up servers that can hold it: each class's first two by
   * available-at (the rest of a class finish no earlier), plus the servers hosting a parent when
   * transfers delay the start. Sets `best`, `bestFinish`, `second`, `secondFinish`.
   */
  evaluate(task: number): void {
    const sim = this.sim;
    if (this.topsVersion !== this.availability.version) this.refreshTops();
    const classMemory = this.classMemory;
    const topServer = this.topServer;
    const topAt = this.topAt;
    const topCompute = this.topCompute;
    const memory = sim.taskMemory(task);
    const compute = sim.taskCompute(task);
    const now = sim.now;
    const delaysStart = this.delaysStart;
    let best = -1;
    let bestFinish = Number.POSITIVE_INFINITY;
    let bestAt = 0;
    let second = -1;
    let secondFinish = Number.POSITIVE_INFINITY;
    let secondAt = 0;
    for (let k = 0; k < classMemory.length; k++) {
      if ((classMemory[k] as number) < memory) continue;
      for (let slot = 2 * k; slot < 2 * k + 2; slot++) {
        const server = topServer[slot] as number;
        if (server < 0) break;
        // `finish`'s arithmetic.
        const at = topAt[slot] as number;
        let start = at;
        if (start < now) start = now;
        if (delaysStart) {
          const ready = sim.dataReadyTime(task, server);
          if (ready > start) start = ready;
        }
        const finish = start + compute / (topCompute[slot] as number);
        if (best < 0 || finish < bestFinish || (finish === bestFinish && (at < bestAt || (at === bestAt && server < best)))) {
          second = best;
          secondFinish = bestFinish;
          secondAt = bestAt;
          best = server;
          bestFinish = finish;
          bestAt = at;
        } else if (second < 0 || finish < secondFinish || (finish === secondFinish && (at < secondAt || (at === secondAt && server < second)))) {
          second = server;
          secondFinish = finish;
          secondAt = at;
        }
      }
    }
    this.best = best;
    this.bestFinish = bestFinish;
    this.bestAt = bestAt;
    this.second = second;
    this.secondFinish = secondFinish;
    this.secondAt = secondAt;
    if (delaysStart) {
      const availability = this.availability;
      for (let i = 0; i < sim.parentCount(task); i++) {
        const host = sim.taskServer(sim.parentAt(task, i));
        if (host >= 0 && sim.serverMemory(host) >= memory && availability.isCandidate(host)) this.offer(task, compute, host, availability.at(host));
      }
    }
  }

  /** Reads each class's first two servers, their available-at and speed into the tops table. */
  private refreshTops(): void {
    const availability = this.availability;
    for (let k = 0; k < this.classMemory.length; k++) {
      for (let rank: 0 | 1 = 0; ; rank = 1) {
        const server = availability.top(k, rank);
        const slot = 2 * k + rank;
        this.topServer[slot] = server;
        if (server >= 0) {
          this.topAt[slot] = availability.topAt(k, rank);
          this.topCompute[slot] = this.sim.serverCompute(server);
        }
        if (rank === 1) break;
      }
    }
    this.topsVersion = availability.version;
  }

  /**
   * Least-execution-time server of `task` (MET): the fastest class that can hold it, then the server
   * available first, then the lowest id. Sets `best` and `bestFinish`.
   */
  evaluateFastest(task: number): void {
    const sim = this.sim;
    const availability = this.availability;
    const memory = sim.taskMemory(task);
    let best = -1;
    let bestCompute = 0;
    for (let k = 0; k < sim.classCount; k++) {
      if (sim.classMemory(k) < memory) continue;
      const j = availability.top(k, 0);
      if (j < 0) continue;
      const compute = sim.classCompute(k);
      if (best < 0 || compute > bestCompute || (compute === bestCompute && this.earlier(j, best))) {
        best = j;
        bestCompute = compute;
      }
    }
    this.best = best;
    this.bestFinish = best < 0 ? Number.POSITIVE_INFINITY : this.finish(task, best);
    this.second = -1;
    this.secondFinish = Number.POSITIVE_INFINITY;
  }

  private earlier(a: number, b: number): boolean {
    const ta = this.availability.at(a);
    const tb = this.availability.at(b);
    return ta < tb || (ta === tb && a < b);
  }

  /**
   * Offers `server`, available at `at`, to the running best two of `task` (`finish`'s arithmetic, with
   * `at` passed in so a class's tops are not looked up again); order: finish, then available-at, then id.
   */
  private offer(task: number, compute: number, server: number, at: number): void {
    if (server === this.best || server === this.second) return;
    const sim = this.sim;
    let start = at;
    if (start < sim.now) start = sim.now;
    if (this.delaysStart) {
      const ready = sim.dataReadyTime(task, server);
      if (ready > start) start = ready;
    }
    const finish = start + compute / sim.serverCompute(server);
    if (this.best < 0 || finish < this.bestFinish || (finish === this.bestFinish && (at < this.bestAt || (at === this.bestAt && server < this.best)))) {
      this.second = this.best;
      this.secondFinish = this.bestFinish;
      this.secondAt = this.bestAt;
      this.best = server;
      this.bestFinish = finish;
      this.bestAt = at;
    } else if (this.second < 0 || finish < this.secondFinish || (finish === this.secondFinish && (at < this.secondAt || (at === this.secondAt && server < this.second)))) {
      this.second = server;
      this.secondFinish = finish;
      this.secondAt = at;
    }
  }

  get now(): number {
    return this.sim.now;
  }

  isUp(server: number): boolean {
    return this.sim.isUp(server);
  }

  isIdle(server: number): boolean {
    return this.sim.isIdle(server);
  }

  freeAt(server: number): number {
    return this.sim.serverFreeAt(server);
  }

  nthIdleInClass(serverClass: number, n: number): number {
    return this.sim.nthIdleInClass(serverClass, n);
  }
}
