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

  constructor(private readonly sim: SimulationView) {
    this.availability = new ServerAvailability(
      Int32Array.from({ length: sim.serverCount }, (_, j) => sim.serverClass(j)),
      sim.classCount,
    );
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
    for (let k = 0; k < sim.classCount; k++) idle += sim.idleCountInClass(k);
    this.idleLeft = idle;
    this.availability.begin(this);
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
    }
    this.availability.reserve(server, finish);
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
    const availability = this.availability;
    this.best = -1;
    this.bestFinish = Number.POSITIVE_INFINITY;
    this.second = -1;
    this.secondFinish = Number.POSITIVE_INFINITY;
    const memory = sim.taskMemory(task);
    for (let k = 0; k < sim.classCount; k++) {
      if (sim.classMemory(k) < memory) continue;
      const first = availability.top(k, 0);
      if (first < 0) continue;
      this.consider(task, first);
      const second = availability.top(k, 1);
      if (second >= 0) this.consider(task, second);
    }
    if (sim.options.communication === 'delays-start') {
      for (let i = 0; i < sim.parentCount(task); i++) {
        const host = sim.taskServer(sim.parentAt(task, i));
        if (host >= 0 && sim.serverMemory(host) >= memory && availability.isCandidate(host)) this.consider(task, host);
      }
    }
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

  private consider(task: number, server: number): void {
    if (server === this.best || server === this.second) return;
    const finish = this.finish(task, server);
    if (this.best < 0 || finish < this.bestFinish || (finish === this.bestFinish && this.earlier(server, this.best))) {
      this.second = this.best;
      this.secondFinish = this.bestFinish;
      this.best = server;
      this.bestFinish = finish;
    } else if (this.second < 0 || finish < this.secondFinish || (finish === this.secondFinish && this.earlier(server, this.second))) {
      this.second = server;
      this.secondFinish = finish;
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
