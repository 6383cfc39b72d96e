import { ConfigError, parseConfig, type Workflow } from '@scale/workload';
import type { ServerSpec } from './cluster.js';
import { ReadyQueue } from './internal/ready-queue.js';
import { NOT_BUSY, ServerPool } from './internal/server-pool.js';
import { DagTopology, orderWorkflows } from './internal/topology.js';
import type { Kernel } from './kernel.js';
import { SimulationOptionsSchema, type SimulationOptions, type SimulationOptionsInput } from './options.js';
import type { Outcome, TaskStatusCode } from './view.js';

/** User input: options as given (parsed here, once), plus servers and workflows. */
export interface SimulationInit extends SimulationOptionsInput {
  readonly servers: readonly ServerSpec[];
  readonly workflows: readonly Workflow[];
}

/** Already-resolved input (e.g. from `resolveSimConfig`): options are used as they are. */
export interface ResolvedSimulationInit {
  readonly servers: readonly ServerSpec[];
  readonly workflows: readonly Workflow[];
  readonly options: SimulationOptions;
}

/**
 * What `Simulation.fork()` builds a copy from: the simulation to copy. The copy shares the source's
 * resolved options, servers, ordered workflows and DAG topology (all immutable) and copies the rest.
 */
export class ForkSource {
  constructor(readonly source: SimulationState) {}
}

/**
 * The state a `Simulation` runs on, and the `SimulationView` accessors that read it: the options, the
 * immutable DAG topology, the server pool, the per-task and per-workflow arrays, the ready queue and the
 * counters. `Simulation` extends it with the event handlers and the decision API (with the view's
 * validity queries), the only code that changes the state; the clock is `Simulation`'s kernel, read
 * here through `kernel.now`. Every accessor is O(1) and allocation-free unless its doc says otherwise.
 */
export abstract class SimulationState {
  readonly options: SimulationOptions;
  readonly servers: readonly ServerSpec[];
  /** Workflows sorted by (arrival, id), tasks by id. */
  readonly workflows: readonly Workflow[];
  readonly serverCount: number;
  readonly taskCount: number;
  readonly workflowCount: number;
  readonly classCount: number;
  /** When the run stops at the latest: the horizon, or the drain limit when draining. */
  readonly timeLimit: number;

  protected readonly topology: DagTopology;
  protected readonly pool: ServerPool;
  /** The event kernel (clock and queue); `Simulation` builds it with its handler table. */
  protected abstract readonly kernel: Kernel;

  // Dynamic task state (global index).
  protected readonly status: Uint8Array;
  /** Unfinished parents of each task. */
  protected readonly pending: Int32Array;
  protected readonly server: Int32Array;
  protected readonly end: Float64Array;
  protected readonly readyAt: Float64Array;
  protected readonly keyPrimary: Float64Array;
  protected readonly keySecondary: Float64Array;
  // Workflows (sorted index).
  protected readonly workflowDoneCount: Int32Array;
  protected readonly workflowEnds: Float64Array;
  /** Total and not-yet-completed compute of each workflow (GFLOP). */
  protected readonly workflowTotalWork: Float64Array;
  protected readonly workflowUnfinishedWork: Float64Array;
  // Response-time accounting, O(1) per event: the area under "arrived, unfinished tasks" up to now is
  // completedResponseSum + unfinished * now - unfinishedArrivalSum (each task counts from its
  // workflow's arrival to its completion).
  protected completedResponseSum = 0;
  protected unfinishedArrivalSum = 0;
  protected readyComputeSum = 0;
  protected readonly ready: ReadyQueue;
  protected nextArrival = 0;
  protected pendingTask = -1;
  protected pendingPosition = -1;
  protected runOutcome: Outcome = 'running';

  // Counters (conservation: arrived = waiting + ready + running + done).
  arrivedTasks = 0;
  waitingTasks = 0;
  readyTasks = 0;
  runningTasks = 0;
  doneTasks = 0;
  decisions = 0;
  invalidActions = 0;
  deferrals = 0;
  interruptedAttempts = 0;

  /**
   * Parses `init`'s options once (user input), or takes `{ servers, workflows, options }` already
   * resolved, or (`ForkSource`) copies another simulation's state.
   */
  constructor(init: SimulationInit | ResolvedSimulationInit | ForkSource) {
    const fork = init instanceof ForkSource ? init.source : null;
    const { servers, workflows } = fork ?? (init as SimulationInit | ResolvedSimulationInit);
    let o: SimulationOptions;
    if (fork !== null) o = fork.options;
    else if ('options' in init && init.options !== undefined) o = init.options;
    else {
      const { servers: _s, workflows: _w, ...rest } = init as SimulationInit;
      o = parseConfig(SimulationOptionsSchema, rest, 'options');
    }
    this.options = o;
    if (o.drainLimit !== undefined && o.drainLimit < o.horizon) {
      throw new ConfigError('options.drainLimit', `a time >= horizon (${o.horizon})`, o.drainLimit);
    }
    this.timeLimit = o.drain ? (o.drainLimit ?? 10 * o.horizon) : o.horizon;
    if (servers.length === 0) throw new ConfigError('servers', 'at least one server', servers.length);
    this.servers = servers;
    this.serverCount = servers.length;

    this.workflows = fork === null ? orderWorkflows(workflows, o.horizon) : fork.workflows;
    const topology = (this.topology = fork === null ? new DagTopology(this.workflows, servers.reduce((m, s) => Math.max(m, s.memory), 0)) : fork.topology);
    const taskCount = (this.taskCount = topology.taskCount);
    this.workflowCount = topology.workflowCount;
    // A fork copies each array of the source (its dynamic state) and shares the totals (immutable).
    this.status = fork === null ? new Uint8Array(taskCount) : fork.status.slice();
    this.pending = fork === null ? Int32Array.from({ length: taskCount }, (_, t) => topology.parentCount(t)) : fork.pending.slice();
    this.server = fork === null ? new Int32Array(taskCount).fill(-1) : fork.server.slice();
    this.end = fork === null ? new Float64Array(taskCount).fill(Number.NaN) : fork.end.slice();
    this.readyAt = fork === null ? new Float64Array(taskCount) : fork.readyAt.slice();
    this.keyPrimary = fork === null ? new Float64Array(taskCount) : fork.keyPrimary.slice();
    this.keySecondary = fork === null ? new Float64Array(taskCount) : fork.keySecondary.slice();
    this.workflowDoneCount = fork === null ? new Int32Array(this.workflowCount) : fork.workflowDoneCount.slice();
    this.workflowEnds = fork === null ? new Float64Array(this.workflowCount).fill(Number.NaN) : fork.workflowEnds.slice();
    this.workflowTotalWork = fork === null ? workflowTotals(topology) : fork.workflowTotalWork;
    this.workflowUnfinishedWork = (fork?.workflowUnfinishedWork ?? this.workflowTotalWork).slice();
    this.ready = new ReadyQueue(this.keyPrimary, this.keySecondary);
    this.pool = fork === null ? new ServerPool(servers) : fork.pool.fork();
    this.classCount = this.pool.classCount;
    if (fork !== null) this.copyScalarsFrom(fork);
  }

  /** Makes the ready queue's order and every scalar (accounting, counters, pending decision, outcome) a copy of `other`'s. */
  private copyScalarsFrom(other: SimulationState): void {
    this.completedResponseSum = other.completedResponseSum;
    this.unfinishedArrivalSum = other.unfinishedArrivalSum;
    this.readyComputeSum = other.readyComputeSum;
    this.ready.copyFrom(other.ready);
    this.nextArrival = other.nextArrival;
    this.pendingTask = other.pendingTask;
    this.pendingPosition = other.pendingPosition;
    this.runOutcome = other.runOutcome;
    this.arrivedTasks = other.arrivedTasks;
    this.waitingTasks = other.waitingTasks;
    this.readyTasks = other.readyTasks;
    this.runningTasks = other.runningTasks;
    this.doneTasks = other.doneTasks;
    this.decisions = other.decisions;
    this.invalidActions = other.invalidActions;
    this.deferrals = other.deferrals;
    this.interruptedAttempts = other.interruptedAttempts;
  }

  // ---------------------------------------------------------------------------------------------
  // SimulationView: the clock, the run and the accounting.

  /** Simulated time (s). */
  get now(): number {
    return this.kernel.now;
  }

  /** The task awaiting a server (global index), or -1 when no decision is pending. */
  get task(): number {
    return this.pendingTask;
  }

  get outcome(): Outcome {
    return this.runOutcome;
  }

  get done(): boolean {
    return this.runOutcome !== 'running';
  }

  get serversUp(): number {
    return this.pool.upCount;
  }

  get arrivedWorkflows(): number {
    return this.nextArrival;
  }

  /** Time of the next queued event (+Infinity when none); stale completions of interrupted attempts included. */
  get nextEventTime(): number {
    return this.kernel.nextTime();
  }

  /**
   * The area under the number of arrived, unfinished tasks from 0 to now (task-seconds): the response
   * times of completed tasks plus the ages of the unfinished ones (a task's age counts from its
   * workflow's arrival). After a drained run, the sum of all response times. O(1).
   */
  get responseTimeArea(): number {
    return this.completedResponseSum + (this.arrivedTasks - this.doneTasks) * this.kernel.now - this.unfinishedArrivalSum;
  }

  /** Total compute of the ready tasks (GFLOP). */
  get readyWork(): number {
    return this.readyComputeSum;
  }

  // ---------------------------------------------------------------------------------------------
  // SimulationView: tasks.

  taskCompute(task: number): number {
    return this.topology.taskCompute[task] as number;
  }

  taskMemory(task: number): number {
    return this.topology.taskMemory[task] as number;
  }

  taskOutput(task: number): number {
    return this.topology.taskOutput[task] as number;
  }

  taskWorkflow(task: number): number {
    return this.topology.taskWorkflow[task] as number;
  }

  taskLocalId(task: number): number {
    return this.topology.taskLocalId[task] as number;
  }

  taskHops(task: number): number {
    return this.topology.taskHops[task] as number;
  }

  taskStatus(task: number): TaskStatusCode {
    return this.status[task] as TaskStatusCode;
  }

  taskServer(task: number): number {
    return this.server[task] as number;
  }

  taskEnd(task: number): number {
    return this.end[task] as number;
  }

  taskReadyTime(task: number): number {
    return this.readyAt[task] as number;
  }

  parentCount(task: number): number {
    return this.topology.parentCount(task);
  }

  parentAt(task: number, i: number): number {
    return this.topology.parentIndex[(this.topology.parentStart[task] as number) + i] as number;
  }

  parentDataAt(task: number, i: number): number {
    return this.topology.parentData[(this.topology.parentStart[task] as number) + i] as number;
  }

  successorCount(task: number): number {
    return this.topology.successorCount(task);
  }

  successorAt(task: number, i: number): number {
    return this.topology.childIndex[(this.topology.childStart[task] as number) + i] as number;
  }

  // SimulationView: workflows.

  workflowId(workflow: number): number {
    return (this.workflows[workflow] as Workflow).id;
  }

  workflowArrival(workflow: number): number {
    return (this.workflows[workflow] as Workflow).arrival;
  }

  workflowFirstTask(workflow: number): number {
    return this.topology.workflowFirstTask[workflow] as number;
  }

  workflowSize(workflow: number): number {
    return this.topology.workflowSize(workflow);
  }

  workflowDone(workflow: number): number {
    return this.workflowDoneCount[workflow] as number;
  }

  workflowProgress(workflow: number): number {
    return (this.workflowDoneCount[workflow] as number) / this.topology.workflowSize(workflow);
  }

  workflowEnd(workflow: number): number {
    return this.workflowEnds[workflow] as number;
  }

  workflowWork(workflow: number): number {
    return this.workflowTotalWork[workflow] as number;
  }

  workflowRemainingWork(workflow: number): number {
    return this.workflowUnfinishedWork[workflow] as number;
  }

  // SimulationView: servers and classes.

  serverCompute(server: number): number {
    return this.pool.compute[server] as number;
  }

  serverMemory(server: number): number {
    return this.pool.memory[server] as number;
  }

  serverIdlePower(server: number): number {
    return this.pool.idlePower[server] as number;
  }

  serverBusyPower(server: number): number {
    return this.pool.busyPower[server] as number;
  }

  serverClass(server: number): number {
    return this.pool.classOf[server] as number;
  }

  isUp(server: number): boolean {
    return this.pool.up[server] === 1;
  }

  isIdle(server: number): boolean {
    return this.pool.up[server] === 1 && this.pool.task[server] === NOT_BUSY;
  }

  serverTask(server: number): number {
    return this.pool.task[server] as number;
  }

  serverFreeAt(server: number): number {
    return this.pool.task[server] === NOT_BUSY ? this.kernel.now : (this.pool.end[server] as number);
  }

  /** Remaining time of the server's current task (s; 0 when idle; includes data wait under delays-start). */
  remainingTime(server: number): number {
    return this.pool.task[server] === NOT_BUSY ? 0 : (this.pool.end[server] as number) - this.kernel.now;
  }

  /** Instantaneous power draw (W): busy power while computing, idle power otherwise, 0 when down. */
  power(server: number): number {
    return this.pool.power(server, this.kernel.now);
  }

  classCompute(serverClass: number): number {
    return this.pool.classCompute[serverClass] as number;
  }

  classMemory(serverClass: number): number {
    return this.pool.classMemory[serverClass] as number;
  }

  idleCountInClass(serverClass: number): number {
    return this.pool.classIdleCount[serverClass] as number;
  }

  /** Lowest-id idle up server of class `k`, or -1. */
  firstIdleInClass(serverClass: number): number {
    return this.pool.firstIdleInClass(serverClass);
  }

  /** The n-th (0-based, by id) idle up server of class `k`, or -1. */
  nthIdleInClass(serverClass: number, n: number): number {
    return this.pool.nthIdleInClass(serverClass, n);
  }

  /** Lowest-id idle up server with id >= `from`, or -1. */
  firstIdleFrom(from: number): number {
    return this.pool.firstIdleFrom(from);
  }

  /** Largest memory among idle up servers (-Infinity when none is idle). */
  largestIdleMemory(): number {
    return this.pool.largestIdleMemory();
  }

  // SimulationView: transfers.

  transferTime(data: number): number {
    return data / this.options.bandwidth + this.options.latency;
  }

  parentTransfer(task: number, i: number, server: number): number {
    return this.edgeTransfer((this.topology.parentStart[task] as number) + i, server);
  }

  /** Transfer cost from the server of `task`'s first parent to `server` (0 with no parent): the reward's t_comm. */
  firstParentTransfer(task: number, server: number): number {
    const edge = this.topology.parentStart[task] as number;
    return edge === this.topology.parentStart[task + 1] ? 0 : this.edgeTransfer(edge, server);
  }

  /** Server hosting `task`'s first parent (-1 with no parent). */
  firstParentServer(task: number): number {
    const edge = this.topology.parentStart[task] as number;
    return edge === this.topology.parentStart[task + 1] ? -1 : (this.server[this.topology.parentIndex[edge] as number] as number);
  }

  /** When all of `task`'s input data could be on `server`: max over parents of end + transfer. */
  dataReadyTime(task: number, server: number): number {
    const topology = this.topology;
    let ready = 0;
    for (let edge = topology.parentStart[task] as number; edge < (topology.parentStart[task + 1] as number); edge++) {
      const at = (this.end[topology.parentIndex[edge] as number] as number) + this.edgeTransfer(edge, server);
      if (at > ready) ready = at;
    }
    return ready;
  }

  // SimulationView: the ready set.

  readyTaskAt(i: number): number {
    return this.ready.at(i);
  }

  hasValidServer(task: number): boolean {
    return (this.topology.taskMemory[task] as number) <= this.pool.largestIdleMemory();
  }

  /** The ready tasks in level-1 order (a copy; the pending task, if any, is among them). */
  readyTasksInOrder(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.ready.size; i++) out.push(this.ready.at(i));
    return out;
  }

  /** Transfer cost (s) of parent edge `edge` to a child placed on `server`. */
  private edgeTransfer(edge: number, server: number): number {
    const parentServer = this.server[this.topology.parentIndex[edge] as number];
    return parentServer === server ? 0 : (this.topology.parentData[edge] as number) / this.options.bandwidth + this.options.latency;
  }
}

/** Each workflow's total compute (GFLOP). */
function workflowTotals(topology: DagTopology): Float64Array {
  const totals = new Float64Array(topology.workflowCount);
  for (let w = 0; w < topology.workflowCount; w++) {
    let work = 0;
    for (let t = topology.workflowFirstTask[w] as number; t < (topology.workflowFirstTask[w + 1] as number); t++) work += topology.taskCompute[t] as number;
    totals[w] = work;
  }
  return totals;
}
