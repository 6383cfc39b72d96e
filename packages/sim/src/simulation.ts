import { ConfigError, type Workflow } from '@scale/workload';
import { InvalidActionError, SimulationStateError } from './errors.js';
import { responseTimeBound } from './headroom.js';
import { AttemptLog } from './internal/attempt-log.js';
import { collectMetrics } from './internal/metrics-collector.js';
import { NOT_BUSY } from './internal/server-pool.js';
import { initialMembership } from './internal/membership.js';
import { exportTrace } from './internal/trace-export.js';
import { DEFER } from './decision.js';
import { EventKind, Kernel, type EventHandler } from './kernel.js';
import type { Metrics } from './metrics.js';
import { ForkSource, SimulationState, type ResolvedSimulationInit, type SimulationInit } from './simulation-state.js';
import type { ScheduleTrace } from './trace.js';
import { TaskStatus, type Outcome, type SimulationView } from './view.js';

export type { ResolvedSimulationInit, SimulationInit } from './simulation-state.js';

/** What `assign` did, for rewards and logging. */
export interface Assignment {
  readonly task: number;
  readonly server: number;
  /** When the server was taken (now). */
  readonly assigned: number;
  /** When computing starts (later than `assigned` only under 'delays-start'). */
  readonly start: number;
  readonly end: number;
  /** Execution time c_i / C_j. */
  readonly execTime: number;
  /** Transfer cost from the server of the task's first parent (0 when none or same server). */
  readonly commTime: number;
  /** Energy of the execution: busyPower_j * execTime (J). */
  readonly energy: number;
}

/**
 * The cluster simulator (DESIGN.md section 2), driven through decision points:
 *
 * ```ts
 * while (sim.next()) sim.assign(policy.choose(sim));
 * ```
 *
 * `next()` advances time, processing completions, failures, joins and arrivals, until a ready task has
 * a valid server (idle, up, memory fits), and exposes it as `sim.task` (the level-1 choice); then a
 * policy answers with a server (`assign`, `act`), with another ready task and a server (`assignTask`),
 * or holds the decision until the next event (`deferToNextEvent`). A valid assignment never moves the
 * clock; `act()` also accepts invalid choices (penalize mode: the clock moves by `invalidActionDelay`).
 *
 * Readers see the state through `SimulationView`, implemented by the `SimulationState` base class that
 * holds the storage (the DAG topology, the server pool, the task and workflow arrays); this class holds
 * the kernel and the attempt log, and is the only code that changes the state. A decision costs O(server classes + N/32).
 */
export class Simulation extends SimulationState implements SimulationView {
  protected readonly kernel: Kernel;
  private readonly attempts: AttemptLog;
  private boundArrivals = -1;
  private boundValue: number | null = null;

  /** Parses `init`'s options once (user input), or takes `{ servers, workflows, options }` already resolved. */
  constructor(init: SimulationInit | ResolvedSimulationInit);
  /** @internal `fork()`'s path. */
  constructor(init: ForkSource);
  constructor(init: SimulationInit | ResolvedSimulationInit | ForkSource) {
    super(init);
    const o = this.options;
    const servers = this.servers;

    const handlers: EventHandler[] = [];
    handlers[EventKind.Completion] = (server, attempt) => this.onCompletion(server, attempt);
    handlers[EventKind.Failure] = (server) => this.onFailure(server);
    handlers[EventKind.Leave] = (server) => this.onLeave(server);
    handlers[EventKind.Join] = (server) => this.onJoin(server);
    handlers[EventKind.Arrival] = (workflow) => this.onArrival(workflow);
    this.kernel = new Kernel(handlers);
    if (init instanceof ForkSource) {
      const source = init.source as Simulation;
      this.kernel.copyStateFrom(source.kernel);
      this.attempts = new AttemptLog(source.attempts);
      this.boundArrivals = source.boundArrivals;
      this.boundValue = source.boundValue;
      return;
    }
    this.attempts = new AttemptLog();

    const membership = initialMembership(servers, o.elasticEvents);
    for (const j of membership.upAtStart) this.pool.bringUp(j, 0);
    for (const event of membership.events) this.kernel.schedule(event.time, event.kind, event.server);
    if (this.workflows.length > 0) this.kernel.schedule((this.workflows[0] as Workflow).arrival, EventKind.Arrival, 0);
  }

  /**
   * An independent copy of the simulation as it stands, pending decision included: the same decisions
   * then give both the same schedule, trace and metrics, and nothing done to one changes the other.
   * For lookahead (rollouts, tree search) in a deterministic simulator. Costs O(tasks + N + queued
   * events + attempts so far); the options, servers, workflows and DAG topology are shared (they never change).
   */
  fork(): Simulation {
    return new Simulation(new ForkSource(this));
  }

  // ---------------------------------------------------------------------------------------------
  // The decision-point API.

  /**
   * Advances to the next decision: returns true with `task` set, or false when the run is over
   * (`outcome` says how). Idempotent while a decision is pending.
   */
  next(): boolean {
    for (;;) {
      if (this.pendingTask >= 0) return true;
      if (this.runOutcome !== 'running') return false;
      if (this.kernel.now < this.timeLimit && this.selectTask()) return true;
      if (this.options.drain && this.nextArrival >= this.workflows.length && this.doneTasks === this.arrivedTasks) {
        this.finish('terminated');
        return false;
      }
      const nextTime = this.kernel.nextTime();
      if (nextTime > this.timeLimit) {
        this.advanceClock(this.timeLimit);
        this.finish('truncated');
        return false;
      }
      this.kernel.runUntil(nextTime);
    }
  }

  /** Whether assigning the pending task to `server` is valid now (idle, up, memory fits). */
  isValid(server: number): boolean {
    return this.pendingTask >= 0 && this.fits(this.pendingTask, server);
  }

  /** Whether assigning `task` to `server` is valid now: the task is ready, the server idle, up and big enough. */
  isValidFor(task: number, server: number): boolean {
    return task >= 0 && task < this.taskCount && this.status[task] === TaskStatus.Ready && this.fits(task, server);
  }

  /** Why `server` is not valid for the pending task, or null when it is. */
  invalidReason(server: number): InvalidActionError['reason'] | null {
    return this.invalidReasonFor(this.pendingTask, server);
  }

  /**
   * Starts the pending task on `server`, which must be valid (throws `InvalidActionError` otherwise).
   * The clock does not move.
   */
  assign(server: number): Assignment {
    const task = this.pendingTask;
    if (task < 0) throw new SimulationStateError('assign() needs a pending decision: call next() first');
    const reason = this.invalidReason(server);
    if (reason !== null) throw new InvalidActionError(server, reason, this.kernel.now);
    return this.startTask(task, this.pendingPosition, server);
  }

  /**
   * Starts any ready task (not only the level-1 `task`) on `server`, which must be valid for it
   * (throws `InvalidActionError` otherwise; a task that is not ready is a `SimulationStateError`).
   * The clock does not move; the next `next()` picks the level-1 task afresh.
   */
  assignTask(task: number, server: number): Assignment {
    if (this.pendingTask < 0) throw new SimulationStateError('assignTask() needs a pending decision: call next() first');
    if (!Number.isInteger(task) || task < 0 || task >= this.taskCount || this.status[task] !== TaskStatus.Ready) {
      throw new SimulationStateError(`assignTask(): task ${task} is not ready at t=${this.kernel.now}`);
    }
    const reason = this.invalidReasonFor(task, server);
    if (reason !== null) throw new InvalidActionError(server, reason, this.kernel.now);
    return this.startTask(task, task === this.pendingTask ? this.pendingPosition : this.readyPosition(task), server);
  }

  /**
   * An agent's choice, valid or not. Valid: as `assign`. Invalid in penalize mode: the clock moves by
   * `invalidActionDelay` (or to the time limit), processing every event in between, and null is
   * returned. Invalid in mask mode: `InvalidActionError`.
   */
  act(server: number): Assignment | null {
    if (this.pendingTask < 0) throw new SimulationStateError('act() needs a pending decision: call next() first');
    const reason = this.invalidReason(server);
    if (reason === null) return this.assign(server);
    if (this.options.invalidAction === 'mask' || reason === 'out-of-range') throw new InvalidActionError(server, reason, this.kernel.now);
    this.rejectChoice();
    return null;
  }

  /**
   * `act` for any ready task: valid, as `assignTask`; invalid in penalize mode, the clock moves by
   * `invalidActionDelay` and null is returned; invalid in mask mode (or no such server),
   * `InvalidActionError`. A task that is not ready is a `SimulationStateError`.
   */
  actTask(task: number, server: number): Assignment | null {
    if (this.pendingTask < 0) throw new SimulationStateError('actTask() needs a pending decision: call next() first');
    if (!Number.isInteger(task) || task < 0 || task >= this.taskCount || this.status[task] !== TaskStatus.Ready) {
      throw new SimulationStateError(`actTask(): task ${task} is not ready at t=${this.kernel.now}`);
    }
    const reason = this.invalidReasonFor(task, server);
    if (reason === null) return this.startTask(task, task === this.pendingTask ? this.pendingPosition : this.readyPosition(task), server);
    if (this.options.invalidAction === 'mask' || reason === 'out-of-range') throw new InvalidActionError(server, reason, this.kernel.now);
    this.rejectChoice();
    return null;
  }

  /**
   * An agent's "defer", valid or not. Valid when `canDefer()`: as `deferToNextEvent`, returns true.
   * Invalid in penalize mode: counted as an invalid choice, the clock moves by `invalidActionDelay`,
   * returns false. Invalid in mask mode: `InvalidActionError` (server `DEFER`, reason 'no-next-event').
   */
  actDefer(): boolean {
    if (this.pendingTask < 0) throw new SimulationStateError('actDefer() needs a pending decision: call next() first');
    if (this.canDefer()) {
      this.deferToNextEvent();
      return true;
    }
    if (this.options.invalidAction === 'mask') throw new InvalidActionError(DEFER, 'no-next-event', this.kernel.now);
    this.rejectChoice();
    return false;
  }

  /**
   * Whether deferring the pending decision can lead anywhere: a decision is pending and some event
   * (completion, arrival, failure, leave or join) comes strictly before the time limit. The guard that
   * keeps deferring agents' episodes finite: every valid defer moves the clock to a queued event, and
   * the queue before the limit is finite.
   */
  canDefer(): boolean {
    return this.pendingTask >= 0 && this.kernel.nextTime() < this.timeLimit;
  }

  /** A penalized invalid choice: counted, and the clock moves by `invalidActionDelay`. */
  private rejectChoice(): void {
    this.invalidActions++;
    this.decisions++;
    this.wait(this.options.invalidActionDelay);
  }

  /** Moves the clock by `dt` (at most to the time limit), processing every event in between. */
  wait(dt: number): void {
    if (!(dt > 0) || !Number.isFinite(dt)) throw new ConfigError('dt', 'a finite number > 0', dt);
    const target = Math.min(this.kernel.now + dt, this.timeLimit);
    this.pendingTask = -1;
    this.kernel.runUntil(target);
    this.advanceClock(target);
  }

  /**
   * Starts nothing now: the clock moves to the next event (a completion, arrival, failure, leave or
   * join), processing every event due then, or to the time limit when no event comes before it. The
   * next `next()` offers a decision at that time. Counted in `deferrals`, not in `decisions`.
   */
  deferToNextEvent(): void {
    if (this.pendingTask < 0) throw new SimulationStateError('deferToNextEvent() needs a pending decision: call next() first');
    this.deferrals++;
    this.pendingTask = -1;
    const target = Math.min(this.kernel.nextTime(), this.timeLimit);
    this.kernel.runUntil(target);
    this.advanceClock(target);
  }

  // ---------------------------------------------------------------------------------------------
  // Results.

  /** Metrics of the run so far (DESIGN.md section 2), computed from the simulator's own state. */
  metrics(): Metrics {
    const arrived = this.nextArrival;
    return collectMetrics(this, this.pool.usage(this.kernel.now), () => this.arrivedResponseTimeBound(arrived));
  }

  /** The headroom bound over the first `arrived` workflows (computed once per arrival count). */
  private arrivedResponseTimeBound(arrived: number): number | null {
    if (this.boundArrivals !== arrived) {
      this.boundArrivals = arrived;
      this.boundValue = responseTimeBound(this.servers, this.workflows.slice(0, arrived)).lowerBound;
    }
    return this.boundValue;
  }

  /** The schedule trace of the run so far (DESIGN.md section 7); `config` entries join the trace's config. */
  trace(config: Record<string, unknown> = {}): ScheduleTrace {
    return exportTrace(
      {
        options: this.options,
        timeLimit: this.timeLimit,
        servers: this.servers,
        upIntervals: this.pool.upIntervals,
        arrivedWorkflows: this.workflows.slice(0, this.nextArrival),
        workflowIdOf: (task) => this.workflowId(this.topology.taskWorkflow[task] as number),
        localIdOf: (task) => this.topology.taskLocalId[task] as number,
        attempts: this.attempts,
        metrics: this.metrics(),
        outcome: this.runOutcome,
      },
      config,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: validity, starting a task, level-1 selection, event handlers.

  private fits(task: number, server: number): boolean {
    const pool = this.pool;
    return (
      server >= 0 &&
      server < this.serverCount &&
      pool.up[server] === 1 &&
      pool.task[server] === NOT_BUSY &&
      (pool.memory[server] as number) >= (this.topology.taskMemory[task] as number)
    );
  }

  private invalidReasonFor(task: number, server: number): InvalidActionError['reason'] | null {
    const pool = this.pool;
    if (!Number.isInteger(server) || server < 0 || server >= this.serverCount) return 'out-of-range';
    if (pool.up[server] !== 1) return 'down';
    if (pool.task[server] !== NOT_BUSY) return 'busy';
    if ((pool.memory[server] as number) < (this.topology.taskMemory[task] as number)) return 'memory';
    return null;
  }

  /** Position of a ready task in the ready queue (O(ready)). */
  private readyPosition(task: number): number {
    for (let i = 0; i < this.ready.size; i++) if (this.ready.at(i) === task) return i;
    throw new SimulationStateError(`task ${task} is not in the ready set`);
  }

  /** Starts a valid (task, server) pair; `position` is the task's place in the ready queue. */
  private startTask(task: number, position: number, server: number): Assignment {
    const now = this.kernel.now;
    const commTime = this.firstParentTransfer(task, server);
    const start = this.options.communication === 'delays-start' ? Math.max(now, this.dataReadyTime(task, server)) : now;
    const execTime = (this.topology.taskCompute[task] as number) / (this.pool.compute[server] as number);
    const end = start + execTime;

    this.ready.removeAt(position);
    this.pendingTask = -1;
    this.readyTasks--;
    this.readyComputeSum = this.readyTasks === 0 ? 0 : this.readyComputeSum - (this.topology.taskCompute[task] as number);
    this.runningTasks++;
    this.decisions++;
    this.status[task] = TaskStatus.Running;
    this.server[task] = server;
    const attempt = this.attempts.open(task, server, now, start);
    this.pool.occupy(server, task, attempt, now, start, end);
    this.kernel.schedule(end, EventKind.Completion, server, attempt);
    return { task, server, assigned: now, start, end, execTime, commTime, energy: (this.pool.busyPower[server] as number) * execTime };
  }


  /** Level 1: the best ready task that some idle server can hold. */
  private selectTask(): boolean {
    const largest = this.pool.largestIdleMemory();
    if (largest === Number.NEGATIVE_INFINITY) return false;
    const ready = this.ready;
    const memory = this.topology.taskMemory;
    for (let i = 0; i < ready.size; i++) {
      const task = ready.at(i);
      if ((memory[task] as number) <= largest) {
        this.pendingTask = task;
        this.pendingPosition = i;
        return true;
      }
    }
    return false;
  }

  private makeReady(task: number): void {
    this.status[task] = TaskStatus.Ready;
    this.readyTasks++;
    this.readyComputeSum += this.topology.taskCompute[task] as number;
    if (this.options.taskSelector === 'longest-path') {
      this.keyPrimary[task] = -(this.topology.taskHops[task] as number);
    } else {
      this.keyPrimary[task] = this.readyAt[task] as number;
    }
    this.keySecondary[task] = task;
    this.ready.insert(task);
  }

  private onCompletion(server: number, attempt: number): void {
    const pool = this.pool;
    if (pool.attempt[server] !== attempt) return; // interrupted by a failure: a stale event
    const now = this.kernel.now;
    const task = pool.task[server] as number;
    this.attempts.complete(attempt, now);
    pool.release(server, now);
    this.status[task] = TaskStatus.Done;
    this.end[task] = now;
    this.runningTasks--;
    this.doneTasks++;
    pool.markIdle(server);
    // A leaving server goes down once its task is done; it is not idle in between.
    if (pool.leaving[server] === 1) pool.takeDown(server, now);
    const topology = this.topology;
    for (let k = topology.childStart[task] as number; k < (topology.childStart[task + 1] as number); k++) {
      const child = topology.childIndex[k] as number;
      this.pending[child] = (this.pending[child] as number) - 1;
      if (this.pending[child] === 0) {
        this.waitingTasks--;
        this.readyAt[child] = now;
        this.makeReady(child);
      }
    }
    const w = topology.taskWorkflow[task] as number;
    this.workflowDoneCount[w] = (this.workflowDoneCount[w] as number) + 1;
    const finished = this.workflowDoneCount[w] === topology.workflowSize(w);
    if (finished) this.workflowEnds[w] = now;
    this.workflowUnfinishedWork[w] = finished ? 0 : (this.workflowUnfinishedWork[w] as number) - (topology.taskCompute[task] as number);
    const arrival = (this.workflows[w] as Workflow).arrival;
    this.completedResponseSum += now - arrival;
    this.unfinishedArrivalSum = this.doneTasks === this.arrivedTasks ? 0 : this.unfinishedArrivalSum - arrival;
  }

  private onFailure(server: number): void {
    const pool = this.pool;
    if (pool.up[server] !== 1) return;
    const task = pool.task[server] as number;
    const now = this.kernel.now;
    if (task !== NOT_BUSY) {
      // The running primitive is interrupted and returns to the ready set: nothing is lost.
      this.attempts.interrupt(pool.attempt[server] as number, now);
      this.interruptedAttempts++;
      pool.release(server, now);
      this.server[task] = -1;
      this.runningTasks--;
      this.makeReady(task);
      pool.markIdle(server);
    }
    pool.takeDown(server, now);
  }

  private onLeave(server: number): void {
    const pool = this.pool;
    if (pool.up[server] !== 1) return;
    if (pool.task[server] !== NOT_BUSY) pool.leaving[server] = 1;
    else pool.takeDown(server, this.kernel.now);
  }

  private onJoin(server: number): void {
    if (this.pool.up[server] === 1) {
      this.pool.leaving[server] = 0; // a join cancels a pending leave
      return;
    }
    this.pool.bringUp(server, this.kernel.now);
  }

  private onArrival(index: number): void {
    const now = this.kernel.now;
    const first = this.topology.workflowFirstTask[index] as number;
    const last = this.topology.workflowFirstTask[index + 1] as number;
    this.arrivedTasks += last - first;
    this.unfinishedArrivalSum += (last - first) * now;
    for (let t = first; t < last; t++) {
      this.readyAt[t] = now;
      if (this.pending[t] === 0) this.makeReady(t);
      else {
        this.status[t] = TaskStatus.Waiting;
        this.waitingTasks++;
      }
    }
    this.nextArrival = index + 1;
    if (this.nextArrival < this.workflows.length) {
      this.kernel.schedule((this.workflows[this.nextArrival] as Workflow).arrival, EventKind.Arrival, this.nextArrival);
    }
  }

  private advanceClock(time: number): void {
    if (time > this.kernel.now) this.kernel.now = time;
  }

  private finish(outcome: Outcome): void {
    this.runOutcome = outcome;
    this.pendingTask = -1;
  }
}
