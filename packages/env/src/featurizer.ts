import type { SimulationView } from '@scale/sim';
import type { EnvConfig } from './config.js';
import { ArrivalWindow } from './internal/arrival-window.js';
import { ObservationArena } from './internal/observation-arena.js';
import { WorkflowShape } from './internal/workflow-shape.js';
import { GLOBAL_FEATURES, observe, QUEUE_SERVER_FEATURES, QUEUE_TASK_FEATURES, SERVER_FEATURES, TASK_FEATURES, type Observation } from './observation.js';

/**
 * What an env config's observations carry and what its actions are, named as `@scale/model`'s config
 * fields (`taskFeatures`, `serverFeatures`, `globalFeatures`, `pairFeatures`, `actions`, `defer`,
 * `candidates`), so a model config can be built from it.
 */
export interface EnvLayout {
  /** TF: 5 (paper) or 9 (queue-aware). */
  readonly taskFeatures: number;
  /** SF: 5 (paper, server actions), 4 (paper, task-and-server: the transfer moves to `pairs`), plus 2 with queue-aware. */
  readonly serverFeatures: number;
  /** G: 0 (paper) or 6 (queue-aware). */
  readonly globalFeatures: number;
  /** PF: 1 with task-and-server actions (the transfer cost), else 0. */
  readonly pairFeatures: 0 | 1;
  readonly actions: 'server' | 'task-and-server';
  readonly defer: boolean;
  /** The cap on candidate tasks: `candidates` with task-and-server actions, 1 with server actions. */
  readonly candidates: number;
}

/** The settings `envLayout` reads (any omitted one is the paper's). */
export interface LayoutSettings {
  readonly observation?: EnvConfig['observation'];
  readonly actions?: EnvConfig['actions'];
  readonly defer?: boolean;
  readonly candidates?: number;
}

/** The observation widths and action layout of an env config (omitted settings: the paper's). */
export function envLayout(settings: LayoutSettings = {}): EnvLayout {
  const queue = settings.observation === 'queue-aware';
  const taskAndServer = settings.actions === 'task-and-server';
  return {
    taskFeatures: TASK_FEATURES + (queue ? QUEUE_TASK_FEATURES : 0),
    serverFeatures: (taskAndServer ? SERVER_FEATURES - 1 : SERVER_FEATURES) + (queue ? QUEUE_SERVER_FEATURES : 0),
    globalFeatures: queue ? GLOBAL_FEATURES : 0,
    pairFeatures: taskAndServer ? 1 : 0,
    actions: taskAndServer ? 'task-and-server' : 'server',
    defer: settings.defer === true,
    candidates: taskAndServer ? (settings.candidates ?? 8) : 1,
  };
}

/**
 * Builds an env's observations in every layout. The paper's (server actions, paper features, no
 * defer) is `observe` itself, bit for bit. The others:
 *
 * Candidates (task-and-server): the first `candidates` ready tasks that some idle server can hold, in
 * level-1 order (longest hop path to a sink, then earlier workflow arrival, then task id), so
 * candidate 0 is the level-1 task and k >= 1 whenever a decision is pending. At an episode's end k = 1
 * with zero features and an all-zero mask. Action `c * n + a` starts candidate c on the a-th up
 * server; with defer, the last action (`k * n`, or `n` with server actions) holds the decision until
 * the next event, valid only when one comes before the time limit (`SimulationView.canDefer`).
 *
 * Queue-aware features, each scale-free (its meaning does not depend on N), with its normalizer and range:
 * - task [5]: its workflow's remaining work (compute of the tasks not completed) / c_ref; in [0, W / c_ref],
 *   W the workflow's total work.
 * - task [6]: the critical path from the task (largest total compute on a path to a sink, itself
 *   included) / c_ref; between its own c / c_ref and task [5].
 * - task [7]: how long it has waited since it became ready / timeRef; >= 0.
 * - task [8]: its descendants (tasks that depend on it, transitively) / succ_ref; in [successors, size - 1] / succ_ref.
 * - server (after the paper's columns): its speed / the mean speed of the up servers, in (0, C_max / C_min]
 *   of the cluster; the time until it frees (0 when idle) / timeRef, >= 0.
 * - global [0]: ready tasks per up server; [1]: the ready tasks' total work / the up servers' total speed /
 *   timeRef (time to clear them at full parallelism); [2]: recent offered load, the work of the workflows
 *   that arrived in the last `arrivalWindow` s / (window x the up servers' total speed); [3]: fraction
 *   of the servers up, in [0, 1]; [4]: fraction of the up servers busy, in [0, 1]; [5]: arrived,
 *   unfinished tasks per up server. All >= 0; each is 0 when no server is up.
 */
export class Featurizer {
  readonly layout: EnvLayout;
  /** The candidate tasks (global indices) of the last observation: `candidateCount` of them. */
  readonly candidates: Int32Array;
  candidateCount = 0;
  private readonly paper: boolean;
  private readonly queue: boolean;
  private readonly taskAndServer: boolean;
  private readonly shape = new WorkflowShape(0);
  /** Per up server: its memory when idle, -1 when busy (scratch for the pair mask). */
  private idleMemory = new Float64Array(0);
  private readonly window = new ArrivalWindow();

  constructor(private readonly config: EnvConfig) {
    this.layout = envLayout(config);
    this.queue = config.observation === 'queue-aware';
    this.taskAndServer = config.actions === 'task-and-server';
    this.paper = !this.queue && !this.taskAndServer && !config.defer;
    this.candidates = new Int32Array(this.layout.candidates);
  }

  /**
   * Fills `candidates` with the decision's candidate tasks and returns how many. `level-1`: the first
   * `cap` ready tasks with a valid server, in level-1 order. `level-1-and-shortest`: the first
   * ceil(cap / 2) of those, then the floor(cap / 2) least-compute ones among the rest (ascending; ties
   * in level-1 order), so both the level-1 task and the shortest ready task are always offered:
   * without them the cap hides shortest-first's lever when queues are long (README, "Candidate window").
   */
  private chooseCandidates(sim: SimulationView): number {
    const candidates = this.candidates;
    const cap = candidates.length;
    const head = this.config.candidateWindow === 'level-1' ? cap : Math.ceil(cap / 2);
    let k = 0;
    let i = 0;
    for (; i < sim.readyTasks && k < head; i++) {
      const ready = sim.readyTaskAt(i);
      if (sim.hasValidServer(ready)) candidates[k++] = ready;
    }
    if (head === cap) return k;
    // The tail: an insertion-sorted run of the shortest remaining tasks (cap - head is 1 to 32).
    const tailStart = k;
    for (; i < sim.readyTasks; i++) {
      const ready = sim.readyTaskAt(i);
      const compute = sim.taskCompute(ready);
      const full = k === cap;
      if (full && compute >= sim.taskCompute(candidates[cap - 1] as number)) continue;
      if (!sim.hasValidServer(ready)) continue;
      let at = full ? cap - 1 : k++;
      while (at > tailStart && sim.taskCompute(candidates[at - 1] as number) > compute) {
        candidates[at] = candidates[at - 1] as number;
        at--;
      }
      candidates[at] = ready;
    }
    return k;
  }

  /** Starts a new episode. */
  reset(sim: SimulationView): void {
    this.shape.reset(sim.taskCount);
    this.window.reset();
  }

  /** The observation of `sim`'s pending decision; fills `upServers` with the up servers' ids, in order. */
  observe(sim: SimulationView, upServers: Int32Array): { obs: Observation; n: number } {
    if (this.paper) {
      const result = observe(sim, this.config.features, upServers);
      this.candidateCount = result.n > 0 && sim.task >= 0 ? 1 : 0;
      this.candidates[0] = sim.task;
      return result;
    }
    const { taskFeatures: TF, serverFeatures: SF } = this.layout;
    const scales = this.config.features;
    const { timeRef } = this.config.queueScales;
    let n = 0;
    let upCompute = 0;
    let busy = 0;
    for (let j = 0; j < sim.serverCount; j++) {
      if (!sim.isUp(j)) continue;
      upServers[n++] = j;
      upCompute += sim.serverCompute(j);
      if (!sim.isIdle(j)) busy++;
    }
    const t = sim.task;
    let k = 0;
    if (t >= 0) {
      if (this.taskAndServer) k = this.chooseCandidates(sim);
      else this.candidates[k++] = t;
    }
    this.candidateCount = k;
    const rows = Math.max(1, k);
    const defer = this.config.defer;
    const actions = (this.taskAndServer ? rows * n : n) + (defer ? 1 : 0);
    const G = this.queue ? GLOBAL_FEATURES : 0;
    const arena = new ObservationArena(rows * TF + n * SF + (this.taskAndServer ? rows * n : 0) + G, actions);
    const tasks = arena.floats(rows * TF);
    for (let c = 0; c < k; c++) this.writeTask(sim, this.candidates[c] as number, tasks, c * TF);

    const servers = arena.floats(n * SF);
    const meanCompute = n > 0 ? upCompute / n : 1;
    const queueColumn = this.taskAndServer ? SERVER_FEATURES - 1 : SERVER_FEATURES;
    for (let a = 0; a < n; a++) {
      const j = upServers[a] as number;
      const row = a * SF;
      servers[row] = sim.serverCompute(j) / scales.cMax;
      servers[row + 1] = sim.serverMemory(j) / scales.mMax;
      servers[row + 2] = sim.remainingTime(j);
      servers[row + 3] = sim.power(j) / scales.pMax;
      if (!this.taskAndServer) servers[row + 4] = t >= 0 ? sim.firstParentTransfer(t, j) : 0;
      if (this.queue) {
        servers[row + queueColumn] = sim.serverCompute(j) / meanCompute;
        servers[row + queueColumn + 1] = sim.remainingTime(j) / timeRef;
      }
    }

    const pairs = this.taskAndServer ? arena.floats(rows * n) : null;
    const global = this.queue ? arena.floats(G) : undefined;
    const mask = arena.bytes(actions);
    if (pairs !== null) {
      // Pair (c, a) is valid when the up server a is idle and holds candidate c (a ready task): the
      // simulator's isValidFor, with each server's part read once per step.
      if (this.idleMemory.length < n) this.idleMemory = new Float64Array(sim.serverCount);
      const idleMemory = this.idleMemory;
      for (let a = 0; a < n; a++) {
        const j = upServers[a] as number;
        idleMemory[a] = sim.isIdle(j) ? sim.serverMemory(j) : -1;
      }
      for (let c = 0; c < k; c++) {
        const task = this.candidates[c] as number;
        const row = c * n;
        // firstParentTransfer(task, j), with the edge's cost computed once: 0 on the parent's server.
        const parentServer = sim.firstParentServer(task);
        const transfer = parentServer < 0 ? 0 : sim.transferTime(sim.parentDataAt(task, 0));
        const memory = sim.taskMemory(task);
        for (let a = 0; a < n; a++) {
          pairs[row + a] = upServers[a] === parentServer ? 0 : transfer;
          mask[row + a] = memory <= (idleMemory[a] as number) ? 1 : 0;
        }
      }
    } else {
      // isValid is false for every server when no task is pending (the end of an episode).
      for (let a = 0; a < n; a++) mask[a] = sim.isValid(upServers[a] as number) ? 1 : 0;
    }
    if (defer) mask[actions - 1] = sim.canDefer() ? 1 : 0;

    const task = this.taskAndServer ? tasks.subarray(0, TF) : tasks;
    if (global !== undefined) this.globalContext(sim, n, upCompute, busy, global);
    return { obs: this.assemble(task, servers, mask, n, rows, tasks, pairs, global), n };
  }

  /** The observation object with exactly this layout's fields (one literal shape per layout, no spreads: hot path). */
  private assemble(task: Float32Array, servers: Float32Array, mask: Uint8Array, n: number, k: number, tasks: Float32Array, pairs: Float32Array | null, global: Float32Array | undefined): Observation {
    if (this.taskAndServer) {
      const p = pairs as Float32Array;
      if (global === undefined) return this.config.defer ? { task, servers, mask, n, k, tasks, pairs: p, defer: true } : { task, servers, mask, n, k, tasks, pairs: p };
      return this.config.defer ? { task, servers, mask, n, k, tasks, pairs: p, global, defer: true } : { task, servers, mask, n, k, tasks, pairs: p, global };
    }
    if (global === undefined) return { task, servers, mask, n, defer: true };
    return this.config.defer ? { task, servers, mask, n, global, defer: true } : { task, servers, mask, n, global };
  }

  /** Candidate `c`'s task (global index) in the last observation. */
  candidate(c: number): number {
    return this.candidates[c] as number;
  }

  private writeTask(sim: SimulationView, t: number, out: Float32Array, at: number): void {
    const scales = this.config.features;
    const w = sim.taskWorkflow(t);
    out[at] = sim.taskCompute(t) / scales.cRef;
    out[at + 1] = sim.taskMemory(t) / scales.mRef;
    out[at + 2] = sim.successorCount(t) / scales.succRef;
    out[at + 3] = sim.workflowProgress(w);
    out[at + 4] = sim.taskOutput(t);
    if (!this.queue) return;
    out[at + 5] = sim.workflowRemainingWork(w) / scales.cRef;
    out[at + 6] = this.shape.criticalPath(sim, t) / scales.cRef;
    out[at + 7] = (sim.now - sim.taskReadyTime(t)) / this.config.queueScales.timeRef;
    out[at + 8] = this.shape.descendants(sim, t) / scales.succRef;
  }

  /** Fills `global` (zeroed) with the global context. */
  private globalContext(sim: SimulationView, n: number, upCompute: number, busy: number, global: Float32Array): void {
    const { timeRef, arrivalWindow } = this.config.queueScales;
    const recentWork = this.window.work(sim, arrivalWindow);
    if (n === 0) return;
    global[0] = sim.readyTasks / n;
    global[1] = sim.readyWork / upCompute / timeRef;
    global[2] = recentWork / (arrivalWindow * upCompute);
    global[3] = n / sim.serverCount;
    global[4] = busy / n;
    global[5] = (sim.arrivedTasks - sim.doneTasks) / n;
  }
}
