import { ConfigError, parseConfig, validateWorkflow, hopsToSink, type Task, type Workflow } from '@scale/workload';
import { z } from 'zod';
import type { ServerSpec } from './cluster.js';
import { InfeasibleTaskError, InvalidActionError, SimulationStateError } from './errors.js';
import { clearBit, firstSetFrom, nthSet, setBit } from './internal/bitset.js';
import { ReadyQueue } from './internal/ready-queue.js';
import { EventKind, Kernel, type EventHandler } from './kernel.js';
import { summarizeMetrics, type Metrics } from './metrics.js';
import type { ScheduleTrace, TraceAttempt } from './trace.js';

const finitePositive = z.number().positive().finite();

/** A join, leave or failure of one server at a given time (elastic clusters, DESIGN.md section 2). */
export const ElasticEventSchema = z
  .object({
    time: z.number().min(0).finite(),
    kind: z.enum(['join', 'leave', 'fail']),
    server: z.number().int().min(0),
  })
  .strict();
export type ElasticEvent = z.output<typeof ElasticEventSchema>;

/** Simulation options with DESIGN.md's defaults; every one overridable. */
export const SimulationOptionsSchema = z
  .object({
    /** Arrivals fall in [0, horizon); training episodes stop (truncated) at the horizon. */
    horizon: finitePositive.default(100),
    /** Evaluation: no arrivals after the horizon, run until every arrived task completes. */
    drain: z.boolean().default(false),
    /** Safety stop of a drained run (absolute simulated time); default 10 x horizon. */
    drainLimit: finitePositive.optional(),
    /** 'reward-only' (paper): transfers only shape the reward; 'delays-start': a child waits for its data. */
    communication: z.enum(['reward-only', 'delays-start']).default('reward-only'),
    /** 'penalize' (paper): an invalid choice waits `invalidActionDelay`; 'mask': an invalid choice is an error. */
    invalidAction: z.enum(['penalize', 'mask']).default('penalize'),
    /** `dt`: how far the clock moves on an invalid choice in penalize mode (s). */
    invalidActionDelay: finitePositive.default(0.1),
    /** Bandwidth B between servers (GB/s). */
    bandwidth: finitePositive.default(10),
    /** Base latency L of a transfer between servers (s). */
    latency: z.number().min(0).finite().default(0.01),
    /** Level-1 selection: the paper's longest hop-count path to a sink, or first-ready-first-served. */
    taskSelector: z.enum(['longest-path', 'fifo']).default('longest-path'),
    /** Joins, leaves and failures at given times (merged with servers' `upIntervals`). */
    elasticEvents: z.array(ElasticEventSchema).default([]),
  })
  .strict();
export type SimulationOptions = z.output<typeof SimulationOptionsSchema>;
export type SimulationOptionsInput = z.input<typeof SimulationOptionsSchema>;

export interface SimulationInit extends SimulationOptionsInput {
  readonly servers: readonly ServerSpec[];
  readonly workflows: readonly Workflow[];
}

/** Lifecycle of a task. */
export const TaskStatus = { NotArrived: 0, Waiting: 1, Ready: 2, Running: 3, Done: 4 } as const;

/** How a run ended: drained to completion (terminated), or stopped at the horizon / drain limit (truncated). */
export type Outcome = 'running' | 'terminated' | 'truncated';

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

const NOT_BUSY = -1;

/**
 * The cluster simulator (DESIGN.md section 2), driven through decision points:
 *
 * ```ts
 * while (sim.next()) sim.assign(policy.choose(sim));
 * ```
 *
 * `next()` advances time, processing completions, failures, joins and arrivals, until a ready task has
 * a valid server (idle, up, memory fits), and exposes it as `sim.task`; then a policy answers with a
 * server. A valid assignment never moves the clock; `act()` also accepts invalid choices (penalize mode:
 * the clock moves by `invalidActionDelay`).
 *
 * State is held in typed arrays indexed by global task index (workflows in arrival order, tasks by id)
 * and by server id, so a decision costs O(number of server types + N/32), not O(N).
 */
export class Simulation {
  readonly options: SimulationOptions;
  readonly servers: readonly ServerSpec[];
  /** Workflows sorted by (arrival, id). */
  readonly workflows: readonly Workflow[];
  readonly serverCount: number;
  readonly taskCount: number;
  /** When the run stops at the latest: the horizon, or the drain limit when draining. */
  readonly timeLimit: number;

  // Tasks (global index).
  readonly taskWorkflow: Int32Array;
  /** The task's id within its workflow. */
  readonly taskLocalId: Int32Array;
  readonly taskCompute: Float64Array;
  readonly taskMemory: Float64Array;
  readonly taskOutput: Float64Array;
  /** Longest hop count to a sink of its workflow. */
  readonly taskHops: Int32Array;
  /** CSR parents: global indices of task t's parents are parentIndex[parentStart[t] .. parentStart[t+1]). */
  readonly parentStart: Int32Array;
  readonly parentIndex: Int32Array;
  /** Data volume on each parent edge (GB), aligned with parentIndex. */
  readonly parentData: Float64Array;
  readonly childStart: Int32Array;
  readonly childIndex: Int32Array;
  readonly taskStatus: Uint8Array;
  /** Unfinished parents of each task. */
  private readonly taskPending: Int32Array;
  /** Server running the task, or the one it finished on; -1 otherwise. */
  readonly taskServer: Int32Array;
  readonly taskEnd: Float64Array;
  private readonly taskReadyAt: Float64Array;
  private readonly keyPrimary: Float64Array;
  private readonly keySecondary: Float64Array;

  // Workflows (sorted index).
  readonly workflowFirstTask: Int32Array;
  /** Completed tasks of each workflow. */
  readonly workflowDone: Int32Array;
  readonly workflowEnd: Float64Array;

  // Servers.
  readonly serverCompute: Float64Array;
  readonly serverMemory: Float64Array;
  readonly serverIdlePower: Float64Array;
  readonly serverBusyPower: Float64Array;
  readonly serverUp: Uint8Array;
  /** Task running on (or holding) the server, or -1. */
  readonly serverTask: Int32Array;
  /** Compute start and end of the server's current attempt. */
  readonly serverStart: Float64Array;
  readonly serverEnd: Float64Array;
  private readonly serverAssigned: Float64Array;
  private readonly serverAttempt: Int32Array;
  private readonly serverLeaving: Uint8Array;
  private readonly serverUpSince: Float64Array;
  private readonly upIntervals: [number, number | null][][];
  private readonly serverUpTime: Float64Array;
  private readonly serverOccupiedTime: Float64Array;
  private readonly serverComputeTime: Float64Array;

  // Server classes (identical compute, memory and power) with idle bitsets, for fast queries.
  readonly classCount: number;
  readonly classOf: Int32Array;
  readonly classCompute: Float64Array;
  readonly classMemory: Float64Array;
  private readonly classIdleCount: Int32Array;
  /** Classes by memory, largest first: the first with an idle server gives the largest idle memory. */
  private readonly classesByMemory: Int32Array;
  private readonly words: number;
  private readonly classIdleBits: Uint32Array;
  private readonly idleBits: Uint32Array;

  // Attempts, in the order they were made.
  private readonly attemptTask: number[] = [];
  private readonly attemptServer: number[] = [];
  private readonly attemptAssigned: number[] = [];
  private readonly attemptStart: number[] = [];
  private readonly attemptEnd: number[] = [];
  private readonly attemptInterrupted: boolean[] = [];

  private readonly kernel: Kernel;
  private readonly ready: ReadyQueue;
  private nextArrival = 0;
  private pendingTask = -1;
  private pendingPosition = -1;
  private status: Outcome = 'running';

  // Counters (conservation: arrived = waiting + ready + running + done).
  arrivedTasks = 0;
  waitingTasks = 0;
  readyTasks = 0;
  runningTasks = 0;
  doneTasks = 0;
  serversUp = 0;
  decisions = 0;
  invalidActions = 0;
  interruptedAttempts = 0;

  constructor(init: SimulationInit) {
    const { servers, workflows, ...rest } = init;
    this.options = parseConfig(SimulationOptionsSchema, rest, 'options');
    const o = this.options;
    if (o.drainLimit !== undefined && o.drainLimit < o.horizon) {
      throw new ConfigError('options.drainLimit', `a time >= horizon (${o.horizon})`, o.drainLimit);
    }
    this.timeLimit = o.drain ? (o.drainLimit ?? 10 * o.horizon) : o.horizon;
    if (servers.length === 0) throw new ConfigError('servers', 'at least one server', servers.length);
    this.servers = servers;
    const n = (this.serverCount = servers.length);

    // Workflows: validated, sorted by (arrival, id), tasks by id.
    const seenIds = new Set<number>();
    for (const [i, workflow] of workflows.entries()) {
      if (!Number.isSafeInteger(workflow.id) || workflow.id < 0) throw new ConfigError(`workflows[${i}].id`, 'an integer >= 0', workflow.id);
      if (seenIds.has(workflow.id)) throw new ConfigError(`workflows[${i}].id`, 'a unique workflow id', workflow.id);
      seenIds.add(workflow.id);
      validateWorkflow(workflow);
      if (workflow.arrival >= o.horizon) {
        throw new ConfigError(`workflows[${i}].arrival`, `a time in [0, horizon = ${o.horizon})`, workflow.arrival);
      }
    }
    this.workflows = [...workflows]
      .sort((a, b) => a.arrival - b.arrival || a.id - b.id)
      .map((w) => ({ ...w, tasks: [...w.tasks].sort((a, b) => a.id - b.id) }));
    const taskCount = (this.taskCount = this.workflows.reduce((sum, w) => sum + w.tasks.length, 0));
    let edgeCount = 0;
    for (const w of this.workflows) for (const t of w.tasks) edgeCount += t.parents.length;

    this.taskWorkflow = new Int32Array(taskCount);
    this.taskLocalId = new Int32Array(taskCount);
    this.taskCompute = new Float64Array(taskCount);
    this.taskMemory = new Float64Array(taskCount);
    this.taskOutput = new Float64Array(taskCount);
    this.taskHops = new Int32Array(taskCount);
    this.parentStart = new Int32Array(taskCount + 1);
    this.parentIndex = new Int32Array(edgeCount);
    this.parentData = new Float64Array(edgeCount);
    this.childStart = new Int32Array(taskCount + 1);
    this.childIndex = new Int32Array(edgeCount);
    this.taskStatus = new Uint8Array(taskCount);
    this.taskPending = new Int32Array(taskCount);
    this.taskServer = new Int32Array(taskCount).fill(-1);
    this.taskEnd = new Float64Array(taskCount).fill(Number.NaN);
    this.taskReadyAt = new Float64Array(taskCount);
    this.keyPrimary = new Float64Array(taskCount);
    this.keySecondary = new Float64Array(taskCount);
    this.workflowFirstTask = new Int32Array(this.workflows.length + 1);
    this.workflowDone = new Int32Array(this.workflows.length);
    this.workflowEnd = new Float64Array(this.workflows.length).fill(Number.NaN);

    const maxMemory = servers.reduce((m, s) => Math.max(m, s.memory), 0);
    let t = 0;
    let e = 0;
    const childCount = new Int32Array(taskCount);
    this.workflows.forEach((workflow, w) => {
      this.workflowFirstTask[w] = t;
      const local = new Map<number, number>();
      workflow.tasks.forEach((task, k) => {
        local.set(task.id, t + k);
      });
      const hops = hopsToSink(workflow.tasks);
      workflow.tasks.forEach((task, k) => {
        if (task.memory > maxMemory) throw new InfeasibleTaskError(workflow.id, task.id, task.memory, maxMemory);
        this.taskWorkflow[t] = w;
        this.taskLocalId[t] = task.id;
        this.taskCompute[t] = task.compute;
        this.taskMemory[t] = task.memory;
        this.taskOutput[t] = task.output;
        this.taskHops[t] = hops[k] as number;
        this.parentStart[t] = e;
        task.parents.forEach((parentId, p) => {
          const parent = local.get(parentId) as number;
          this.parentIndex[e] = parent;
          this.parentData[e] = task.parentData?.[p] ?? (workflow.tasks[parent - t + k] as Task).output;
          childCount[parent] = (childCount[parent] as number) + 1;
          e++;
        });
        this.taskPending[t] = task.parents.length;
        t++;
      });
    });
    this.parentStart[taskCount] = e;
    this.workflowFirstTask[this.workflows.length] = taskCount;
    // Children CSR from parents.
    for (let i = 0; i < taskCount; i++) this.childStart[i + 1] = (this.childStart[i] as number) + (childCount[i] as number);
    const fill = this.childStart.slice(0, taskCount);
    for (let c = 0; c < taskCount; c++) {
      for (let k = this.parentStart[c] as number; k < (this.parentStart[c + 1] as number); k++) {
        const p = this.parentIndex[k] as number;
        this.childIndex[fill[p] as number] = c;
        fill[p] = (fill[p] as number) + 1;
      }
    }
    this.ready = new ReadyQueue(this.keyPrimary, this.keySecondary);

    // Servers and their classes.
    this.serverCompute = Float64Array.from(servers, (s) => s.compute);
    this.serverMemory = Float64Array.from(servers, (s) => s.memory);
    this.serverIdlePower = Float64Array.from(servers, (s) => s.idlePower);
    this.serverBusyPower = Float64Array.from(servers, (s) => s.busyPower);
    this.serverUp = new Uint8Array(n);
    this.serverTask = new Int32Array(n).fill(NOT_BUSY);
    this.serverStart = new Float64Array(n);
    this.serverEnd = new Float64Array(n);
    this.serverAssigned = new Float64Array(n);
    this.serverAttempt = new Int32Array(n).fill(-1);
    this.serverLeaving = new Uint8Array(n);
    this.serverUpSince = new Float64Array(n);
    this.serverUpTime = new Float64Array(n);
    this.serverOccupiedTime = new Float64Array(n);
    this.serverComputeTime = new Float64Array(n);
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

    const handlers: EventHandler[] = [];
    handlers[EventKind.Completion] = (server, attempt) => this.onCompletion(server, attempt);
    handlers[EventKind.Failure] = (server) => this.onFailure(server);
    handlers[EventKind.Leave] = (server) => this.onLeave(server);
    handlers[EventKind.Join] = (server) => this.onJoin(server);
    handlers[EventKind.Arrival] = (workflow) => this.onArrival(workflow);
    this.kernel = new Kernel(handlers);

    // Initial membership and elastic events: upIntervals first, then explicit events.
    servers.forEach((server, j) => {
      const intervals = server.upIntervals ?? [[0, null]];
      let previousEnd = 0;
      intervals.forEach(([start, end], i) => {
        const field = `servers[${j}].upIntervals[${i}]`;
        if (!Number.isFinite(start) || start < previousEnd || (i > 0 && start <= previousEnd)) {
          throw new ConfigError(field, `a start >= 0 after the previous interval's end (${previousEnd})`, start);
        }
        if (end !== null && !(end > start)) throw new ConfigError(field, `an end > its start (${start}) or null`, end);
        if (end === null && i < intervals.length - 1) throw new ConfigError(field, 'an end (only the last interval may be open)', end);
        if (start === 0) this.bringUp(j);
        else this.kernel.schedule(start, EventKind.Join, j);
        if (end !== null) {
          this.kernel.schedule(end, EventKind.Failure, j);
          previousEnd = end;
        }
      });
    });
    o.elasticEvents.forEach((event, i) => {
      if (event.server >= n) throw new ConfigError(`options.elasticEvents[${i}].server`, `a server id in [0, ${n - 1}]`, event.server);
      const kind = event.kind === 'join' ? EventKind.Join : event.kind === 'leave' ? EventKind.Leave : EventKind.Failure;
      this.kernel.schedule(event.time, kind, event.server);
    });
    if (this.workflows.length > 0) this.kernel.schedule((this.workflows[0] as Workflow).arrival, EventKind.Arrival, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // The decision-point API.

  /** Simulated time (s). */
  get now(): number {
    return this.kernel.now;
  }

  /** The task awaiting a server (global index), or -1 when no decision is pending. */
  get task(): number {
    return this.pendingTask;
  }

  get outcome(): Outcome {
    return this.status;
  }

  get done(): boolean {
    return this.status !== 'running';
  }

  /**
   * Advances to the next decision: returns true with `task` set, or false when the run is over
   * (`outcome` says how). Idempotent while a decision is pending.
   */
  next(): boolean {
    for (;;) {
      if (this.pendingTask >= 0) return true;
      if (this.status !== 'running') return false;
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
    return (
      this.pendingTask >= 0 &&
      server >= 0 &&
      server < this.serverCount &&
      this.serverUp[server] === 1 &&
      this.serverTask[server] === NOT_BUSY &&
      (this.serverMemory[server] as number) >= (this.taskMemory[this.pendingTask] as number)
    );
  }

  /** Why `server` is not valid for the pending task, or null when it is. */
  invalidReason(server: number): InvalidActionError['reason'] | null {
    if (!Number.isInteger(server) || server < 0 || server >= this.serverCount) return 'out-of-range';
    if (this.serverUp[server] !== 1) return 'down';
    if (this.serverTask[server] !== NOT_BUSY) return 'busy';
    if ((this.serverMemory[server] as number) < (this.taskMemory[this.pendingTask] as number)) return 'memory';
    return null;
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
    const now = this.kernel.now;
    const commTime = this.firstParentTransfer(task, server);
    const start = this.options.communication === 'delays-start' ? Math.max(now, this.dataReadyTime(task, server)) : now;
    const compute = this.serverCompute[server] as number;
    const execTime = (this.taskCompute[task] as number) / compute;
    const end = start + execTime;

    this.ready.removeAt(this.pendingPosition);
    this.pendingTask = -1;
    this.readyTasks--;
    this.runningTasks++;
    this.decisions++;
    this.taskStatus[task] = TaskStatus.Running;
    this.taskServer[task] = server;
    this.markNotIdle(server);
    const attempt = this.attemptTask.length;
    this.attemptTask.push(task);
    this.attemptServer.push(server);
    this.attemptAssigned.push(now);
    this.attemptStart.push(start);
    this.attemptEnd.push(Number.NaN);
    this.attemptInterrupted.push(false);
    this.serverTask[server] = task;
    this.serverAttempt[server] = attempt;
    this.serverAssigned[server] = now;
    this.serverStart[server] = start;
    this.serverEnd[server] = end;
    this.kernel.schedule(end, EventKind.Completion, server, attempt);
    return { task, server, assigned: now, start, end, execTime, commTime, energy: (this.serverBusyPower[server] as number) * execTime };
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
    this.invalidActions++;
    this.decisions++;
    this.wait(this.options.invalidActionDelay);
    return null;
  }

  /** Moves the clock by `dt` (at most to the time limit), processing every event in between. */
  wait(dt: number): void {
    if (!(dt > 0) || !Number.isFinite(dt)) throw new ConfigError('dt', 'a finite number > 0', dt);
    const target = Math.min(this.kernel.now + dt, this.timeLimit);
    this.pendingTask = -1;
    this.kernel.runUntil(target);
    this.advanceClock(target);
  }

  // ---------------------------------------------------------------------------------------------
  // Queries for policies and observation builders.

  /** Transfer cost (s) of the edge from parent edge `edge` to a child placed on `server`. */
  edgeTransfer(edge: number, server: number): number {
    const parentServer = this.taskServer[this.parentIndex[edge] as number];
    return parentServer === server ? 0 : (this.parentData[edge] as number) / this.options.bandwidth + this.options.latency;
  }

  /** Transfer cost from the server of `task`'s first parent to `server` (0 with no parent): the reward's t_comm. */
  firstParentTransfer(task: number, server: number): number {
    const edge = this.parentStart[task] as number;
    return edge === this.parentStart[task + 1] ? 0 : this.edgeTransfer(edge, server);
  }

  /** Server hosting `task`'s first parent (-1 with no parent). */
  firstParentServer(task: number): number {
    const edge = this.parentStart[task] as number;
    return edge === this.parentStart[task + 1] ? -1 : (this.taskServer[this.parentIndex[edge] as number] as number);
  }

  /** When all of `task`'s input data could be on `server`: max over parents of end + transfer. */
  dataReadyTime(task: number, server: number): number {
    let ready = 0;
    for (let edge = this.parentStart[task] as number; edge < (this.parentStart[task + 1] as number); edge++) {
      const at = (this.taskEnd[this.parentIndex[edge] as number] as number) + this.edgeTransfer(edge, server);
      if (at > ready) ready = at;
    }
    return ready;
  }

  /** The ready tasks in level-1 order (a copy; the pending task, if any, is among them). */
  readyTasksInOrder(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ready.size; i++) out.push(this.ready.at(i));
    return out;
  }

  /** Lowest-id idle up server of class `k`, or -1. */
  firstIdleInClass(k: number): number {
    return firstSetFrom(this.classIdleBits, k * this.words, this.words, 0);
  }

  idleCountInClass(k: number): number {
    return this.classIdleCount[k] as number;
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

  /** Remaining time of the server's current task (s; 0 when idle; includes data wait under delays-start). */
  remainingTime(server: number): number {
    return this.serverTask[server] === NOT_BUSY ? 0 : (this.serverEnd[server] as number) - this.kernel.now;
  }

  /** Instantaneous power draw (W): busy power while computing, idle power otherwise, 0 when down. */
  power(server: number): number {
    if (this.serverUp[server] !== 1) return 0;
    const computing = this.serverTask[server] !== NOT_BUSY && (this.serverStart[server] as number) <= this.kernel.now;
    return (computing ? this.serverBusyPower[server] : this.serverIdlePower[server]) as number;
  }

  // ---------------------------------------------------------------------------------------------
  // Results.

  /** Metrics of the run so far (DESIGN.md section 2), computed from the simulator's own state. */
  metrics(): Metrics {
    const now = this.kernel.now;
    const responses: number[] = [];
    let makespan = 0;
    for (let t = 0; t < this.taskCount; t++) {
      if (this.taskStatus[t] !== TaskStatus.Done) continue;
      const end = this.taskEnd[t] as number;
      responses.push(end - (this.workflows[this.taskWorkflow[t] as number] as Workflow).arrival);
      if (end > makespan) makespan = end;
    }
    const workflowResponses: number[] = [];
    let arrivedWorkflows = 0;
    this.workflows.forEach((w, i) => {
      if (i < this.nextArrival) arrivedWorkflows++;
      if (!Number.isNaN(this.workflowEnd[i] as number)) workflowResponses.push((this.workflowEnd[i] as number) - w.arrival);
    });
    let upTime = 0;
    let occupied = 0;
    let energy = 0;
    for (let j = 0; j < this.serverCount; j++) {
      let up = this.serverUpTime[j] as number;
      if (this.serverUp[j] === 1) up += now - (this.serverUpSince[j] as number);
      let occ = this.serverOccupiedTime[j] as number;
      let comp = this.serverComputeTime[j] as number;
      if (this.serverTask[j] !== NOT_BUSY) {
        occ += now - (this.serverAssigned[j] as number);
        comp += Math.max(0, now - (this.serverStart[j] as number));
      }
      upTime += up;
      occupied += occ;
      energy += (this.serverIdlePower[j] as number) * (up - comp) + (this.serverBusyPower[j] as number) * comp;
    }
    return summarizeMetrics({
      responses,
      workflowResponses,
      arrivedTasks: this.arrivedTasks,
      arrivedWorkflows,
      makespan,
      upTime,
      occupied,
      energy,
      interruptedAttempts: this.interruptedAttempts,
      time: now,
    });
  }

  /** The schedule trace of the run so far (DESIGN.md section 7). */
  trace(config: Record<string, unknown> = {}): ScheduleTrace {
    const attempts: TraceAttempt[] = this.attemptTask.map((task, i) => {
      const end = this.attemptEnd[i] as number;
      const attempt: TraceAttempt = {
        workflow: (this.workflows[this.taskWorkflow[task] as number] as Workflow).id,
        task: this.taskLocalId[task] as number,
        server: this.attemptServer[i] as number,
        start: this.attemptStart[i] as number,
        end: Number.isNaN(end) ? null : end,
        interrupted: this.attemptInterrupted[i] as boolean,
      };
      return this.options.communication === 'delays-start' ? { ...attempt, assigned: this.attemptAssigned[i] as number } : attempt;
    });
    const o = this.options;
    return {
      format: 'scale-schedule-trace',
      version: 1,
      config: {
        communication: o.communication,
        invalidAction: o.invalidAction,
        horizon: o.horizon,
        drain: o.drain,
        ...(o.drain ? { drainLimit: this.timeLimit } : {}),
        bandwidth: o.bandwidth,
        latency: o.latency,
        taskSelector: o.taskSelector,
        ...config,
      },
      servers: this.servers.map((s, j) => ({
        id: s.id,
        tier: s.tier,
        compute: s.compute,
        memory: s.memory,
        idlePower: s.idlePower,
        busyPower: s.busyPower,
        upIntervals: (this.upIntervals[j] as [number, number | null][]).map(([a, b]) => [a, b] as [number, number | null]),
      })),
      workflows: this.workflows.slice(0, this.nextArrival).map((w) => ({
        id: w.id,
        arrival: w.arrival,
        ...(w.name === undefined ? {} : { name: w.name }),
        tasks: w.tasks.map((t) => ({
          id: t.id,
          compute: t.compute,
          memory: t.memory,
          output: t.output,
          parents: [...t.parents],
          ...(t.parentData === undefined ? {} : { parentData: [...t.parentData] }),
        })),
      })),
      attempts,
      metrics: { ...this.metrics(), outcome: this.status },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: level-1 selection, membership, event handlers.

  /** Level 1: the best ready task that some idle server can hold. */
  private selectTask(): boolean {
    const largest = this.largestIdleMemory();
    if (largest === Number.NEGATIVE_INFINITY) return false;
    const ready = this.ready;
    for (let i = 0; i < ready.size; i++) {
      const task = ready.at(i);
      if ((this.taskMemory[task] as number) <= largest) {
        this.pendingTask = task;
        this.pendingPosition = i;
        return true;
      }
    }
    return false;
  }

  private makeReady(task: number): void {
    this.taskStatus[task] = TaskStatus.Ready;
    this.readyTasks++;
    if (this.options.taskSelector === 'longest-path') {
      this.keyPrimary[task] = -(this.taskHops[task] as number);
    } else {
      this.keyPrimary[task] = this.taskReadyAt[task] as number;
    }
    this.keySecondary[task] = task;
    this.ready.insert(task);
  }

  private markIdle(server: number): void {
    const k = this.classOf[server] as number;
    setBit(this.classIdleBits, k * this.words, server);
    setBit(this.idleBits, 0, server);
    this.classIdleCount[k] = (this.classIdleCount[k] as number) + 1;
  }

  private markNotIdle(server: number): void {
    const k = this.classOf[server] as number;
    clearBit(this.classIdleBits, k * this.words, server);
    clearBit(this.idleBits, 0, server);
    this.classIdleCount[k] = (this.classIdleCount[k] as number) - 1;
  }

  private bringUp(server: number): void {
    this.serverUp[server] = 1;
    this.serverUpSince[server] = this.kernel.now;
    (this.upIntervals[server] as [number, number | null][]).push([this.kernel.now, null]);
    this.serversUp++;
    this.markIdle(server);
  }

  private takeDown(server: number): void {
    const now = this.kernel.now;
    this.serverUp[server] = 0;
    this.serverLeaving[server] = 0;
    this.serverUpTime[server] = (this.serverUpTime[server] as number) + now - (this.serverUpSince[server] as number);
    const intervals = this.upIntervals[server] as [number, number | null][];
    (intervals[intervals.length - 1] as [number, number | null])[1] = now;
    this.serversUp--;
    this.markNotIdle(server);
  }

  /** Closes the server's current attempt at `now`: accounting only. */
  private releaseServer(server: number): void {
    const now = this.kernel.now;
    this.serverOccupiedTime[server] = (this.serverOccupiedTime[server] as number) + now - (this.serverAssigned[server] as number);
    this.serverComputeTime[server] = (this.serverComputeTime[server] as number) + Math.max(0, now - (this.serverStart[server] as number));
    this.serverTask[server] = NOT_BUSY;
    this.serverAttempt[server] = -1;
  }

  private onCompletion(server: number, attempt: number): void {
    if (this.serverAttempt[server] !== attempt) return; // interrupted by a failure: a stale event
    const now = this.kernel.now;
    const task = this.serverTask[server] as number;
    this.attemptEnd[attempt] = now;
    this.releaseServer(server);
    this.taskStatus[task] = TaskStatus.Done;
    this.taskEnd[task] = now;
    this.runningTasks--;
    this.doneTasks++;
    if (this.serverLeaving[server] === 1) {
      // A leaving server goes down once its task is done; it is not idle in between.
      this.markIdle(server);
      this.takeDown(server);
    } else {
      this.markIdle(server);
    }
    for (let k = this.childStart[task] as number; k < (this.childStart[task + 1] as number); k++) {
      const child = this.childIndex[k] as number;
      this.taskPending[child] = (this.taskPending[child] as number) - 1;
      if (this.taskPending[child] === 0) {
        this.waitingTasks--;
        this.taskReadyAt[child] = now;
        this.makeReady(child);
      }
    }
    const w = this.taskWorkflow[task] as number;
    this.workflowDone[w] = (this.workflowDone[w] as number) + 1;
    if (this.workflowDone[w] === (this.workflowFirstTask[w + 1] as number) - (this.workflowFirstTask[w] as number)) {
      this.workflowEnd[w] = now;
    }
  }

  private onFailure(server: number): void {
    if (this.serverUp[server] !== 1) return;
    const task = this.serverTask[server] as number;
    if (task !== NOT_BUSY) {
      // The running primitive is interrupted and returns to the ready set: nothing is lost.
      const attempt = this.serverAttempt[server] as number;
      const now = this.kernel.now;
      this.attemptEnd[attempt] = now;
      this.attemptInterrupted[attempt] = true;
      this.interruptedAttempts++;
      this.releaseServer(server);
      this.taskServer[task] = -1;
      this.runningTasks--;
      this.makeReady(task);
      this.markIdle(server);
    }
    this.takeDown(server);
  }

  private onLeave(server: number): void {
    if (this.serverUp[server] !== 1) return;
    if (this.serverTask[server] !== NOT_BUSY) this.serverLeaving[server] = 1;
    else this.takeDown(server);
  }

  private onJoin(server: number): void {
    if (this.serverUp[server] === 1) {
      this.serverLeaving[server] = 0; // a join cancels a pending leave
      return;
    }
    this.bringUp(server);
  }

  private onArrival(index: number): void {
    const now = this.kernel.now;
    const first = this.workflowFirstTask[index] as number;
    const last = this.workflowFirstTask[index + 1] as number;
    this.arrivedTasks += last - first;
    for (let t = first; t < last; t++) {
      this.taskReadyAt[t] = now;
      if (this.taskPending[t] === 0) this.makeReady(t);
      else {
        this.taskStatus[t] = TaskStatus.Waiting;
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
    this.status = outcome;
    this.pendingTask = -1;
  }
}
