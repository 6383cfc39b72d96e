import type { InvalidActionError } from './errors.js';
import type { SimulationOptions } from './options.js';

/** Lifecycle of a task. */
export const TaskStatus = { NotArrived: 0, Waiting: 1, Ready: 2, Running: 3, Done: 4 } as const;
export type TaskStatusCode = (typeof TaskStatus)[keyof typeof TaskStatus];

/** How a run ended: drained to completion (terminated), or stopped at the horizon / drain limit (truncated). */
export type Outcome = 'running' | 'terminated' | 'truncated';

/**
 * The read-only state of a simulation, as heuristics, observation featurizers and analyses see it.
 * `Simulation` implements it; code that only reads (policies, the env's observation) takes this type,
 * so the simulator's storage can change without touching them.
 *
 * Indexing:
 * - tasks by global index 0..taskCount-1 (workflows in arrival order, each workflow's tasks by id);
 * - workflows by arrival index 0..workflowCount-1 (sorted by arrival, then id);
 * - servers by id 0..serverCount-1, and server classes (identical compute, memory and power) 0..classCount-1;
 * - a task's parents and children by position 0..parentCount(t)-1 / 0..successorCount(t)-1, in the
 *   order of the task's `parents` list (children: by child index).
 *
 * Every accessor is O(1) and allocation-free unless its doc says otherwise, so per-decision code can
 * iterate with plain index loops.
 */
export interface SimulationView {
  /** The resolved options the simulation runs with. */
  readonly options: SimulationOptions;
  /** Simulated time (s). */
  readonly now: number;
  /** When the run stops at the latest: the horizon, or the drain limit when draining. */
  readonly timeLimit: number;
  /** The level-1 task awaiting a server (global index), or -1 when no decision is pending. */
  readonly task: number;
  readonly outcome: Outcome;

  readonly taskCount: number;
  readonly workflowCount: number;
  readonly serverCount: number;
  readonly classCount: number;

  // Counters (conservation: arrivedTasks = waitingTasks + readyTasks + runningTasks + doneTasks).
  readonly arrivedTasks: number;
  readonly waitingTasks: number;
  readonly readyTasks: number;
  readonly runningTasks: number;
  readonly doneTasks: number;
  /** Workflows that have arrived so far (they are workflows 0..arrivedWorkflows-1). */
  readonly arrivedWorkflows: number;
  readonly serversUp: number;
  /** Assignments plus invalid choices. */
  readonly decisions: number;
  readonly invalidActions: number;
  /** Decisions held until the next event (`deferToNextEvent`). */
  readonly deferrals: number;
  readonly interruptedAttempts: number;
  /**
   * Area under the number of arrived, unfinished tasks from 0 to now (task-seconds): completed tasks'
   * response times plus unfinished tasks' ages. After a drained run, the sum of all response times.
   */
  readonly responseTimeArea: number;
  /** Total compute of the ready tasks (GFLOP). */
  readonly readyWork: number;
  /** Time of the next queued event, +Infinity when none. */
  readonly nextEventTime: number;

  // Tasks.
  /** Compute demand c_i (GFLOP). */
  taskCompute(task: number): number;
  /** Memory demand m_i (GB). */
  taskMemory(task: number): number;
  /** Output data d_i (GB). */
  taskOutput(task: number): number;
  /** Arrival index of the task's workflow. */
  taskWorkflow(task: number): number;
  /** The task's id within its workflow. */
  taskLocalId(task: number): number;
  /** Longest hop count from the task to a sink of its workflow (0 for a sink). */
  taskHops(task: number): number;
  taskStatus(task: number): TaskStatusCode;
  /** Server running the task, or the one it finished on; -1 otherwise. */
  taskServer(task: number): number;
  /** Completion time, NaN until done. */
  taskEnd(task: number): number;
  /**
   * When the task became ready (its last parent's completion, or its workflow's arrival for a root);
   * a task interrupted by a failure keeps its first readiness time. Meaningful once it has arrived.
   */
  taskReadyTime(task: number): number;
  /** Number of direct parents. */
  parentCount(task: number): number;
  /** Global index of the task's i-th parent. */
  parentAt(task: number, i: number): number;
  /** Data volume on the edge from the task's i-th parent (GB). */
  parentDataAt(task: number, i: number): number;
  /** Number of direct successors (children). */
  successorCount(task: number): number;
  /** Global index of the task's i-th child. */
  successorAt(task: number, i: number): number;

  // Workflows.
  workflowId(workflow: number): number;
  workflowArrival(workflow: number): number;
  /** Global index of the workflow's first task; its tasks are firstTask..firstTask+size-1. */
  workflowFirstTask(workflow: number): number;
  workflowSize(workflow: number): number;
  /** Completed tasks of the workflow. */
  workflowDone(workflow: number): number;
  /** Completed fraction of the workflow's tasks, in [0, 1]. */
  workflowProgress(workflow: number): number;
  /** When its last task completed, NaN until then. */
  workflowEnd(workflow: number): number;
  /** Total compute of the workflow's tasks (GFLOP). */
  workflowWork(workflow: number): number;
  /** Compute of the workflow's tasks not yet completed (GFLOP; running and interrupted ones included). */
  workflowRemainingWork(workflow: number): number;

  // Servers.
  /** Compute speed C_j (GFLOP/s). */
  serverCompute(server: number): number;
  /** Memory M_j (GB). */
  serverMemory(server: number): number;
  serverIdlePower(server: number): number;
  serverBusyPower(server: number): number;
  serverClass(server: number): number;
  isUp(server: number): boolean;
  /** Up and running nothing. */
  isIdle(server: number): boolean;
  /** Task running on (or holding) the server, or -1. */
  serverTask(server: number): number;
  /** When the server's current task ends (now when idle; includes data wait under 'delays-start'). */
  serverFreeAt(server: number): number;
  /** Time until the server frees: serverFreeAt - now (s; 0 when idle). */
  remainingTime(server: number): number;
  /** Instantaneous power draw (W): busy power while computing, idle power otherwise, 0 when down. */
  power(server: number): number;

  // Server classes and idle servers.
  classCompute(serverClass: number): number;
  classMemory(serverClass: number): number;
  /** Idle up servers of the class. */
  idleCountInClass(serverClass: number): number;
  /** Lowest-id idle up server of the class, or -1. */
  firstIdleInClass(serverClass: number): number;
  /** The n-th (0-based, by id) idle up server of the class, or -1. O(N/32). */
  nthIdleInClass(serverClass: number, n: number): number;
  /** Lowest-id idle up server with id >= `from`, or -1. O(N/32). */
  firstIdleFrom(from: number): number;
  /** Largest memory among idle up servers (-Infinity when none is idle). O(classes). */
  largestIdleMemory(): number;

  // Transfers.
  /** Transfer time (s) of the task's i-th parent edge to a child placed on `server` (0 on the parent's server). */
  parentTransfer(task: number, i: number, server: number): number;
  /** Transfer time of a parent edge between two different servers: data / bandwidth + latency (s). */
  transferTime(data: number): number;
  /** Transfer cost from the server of the task's first parent to `server` (0 with no parent): the reward's t_comm. */
  firstParentTransfer(task: number, server: number): number;
  /** Server hosting the task's first parent (-1 with no parent). */
  firstParentServer(task: number): number;
  /** When all of the task's input data could be on `server`: max over parents of end + transfer. O(parents). */
  dataReadyTime(task: number, server: number): number;

  // The ready set and validity.
  /** The i-th ready task in level-1 order (0 <= i < readyTasks). */
  readyTaskAt(i: number): number;
  /** Some idle up server can hold the task (memory fits). O(classes). */
  hasValidServer(task: number): boolean;
  /** Assigning the pending task to `server` is valid now (idle, up, memory fits). */
  isValid(server: number): boolean;
  /** Assigning `task` to `server` is valid now: the task is ready and the server idle, up and big enough. */
  isValidFor(task: number, server: number): boolean;
  /** Why `server` is not valid for the pending task, or null when it is. */
  invalidReason(server: number): InvalidActionError['reason'] | null;
  /** A decision is pending and an event comes strictly before the time limit (what makes deferring valid). */
  canDefer(): boolean;
}
