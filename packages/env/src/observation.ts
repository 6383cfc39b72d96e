import type { SimulationView } from '@scale/sim';
import type { FeatureScales } from './config.js';
import { ObservationArena } from './internal/observation-arena.js';

export const TASK_FEATURES = 5;
export const SERVER_FEATURES = 5;
/** Per-task features the queue-aware observation appends to the paper's 5. */
export const QUEUE_TASK_FEATURES = 4;
/** Per-server features the queue-aware observation appends to the server row. */
export const QUEUE_SERVER_FEATURES = 2;
/** The queue-aware observation's global context. */
export const GLOBAL_FEATURES = 6;

/**
 * The paper's observation (DESIGN.md section 2, paper section 4.1.1), for the servers currently up, in id order
 * (`featurizer.ts` documents issue 14's queue-aware features and task-and-server layout).
 * - `task` (5): c_i / c_ref, m_i / m_ref, direct successors / succ_ref, completed fraction of its
 *   workflow, output data d_i (GB).
 * - `servers` (N x 5, row-major): C_j / C_max, M_j / M_max, remaining time of its task (s, 0 when
 *   idle), instantaneous power / P_max, transfer cost (s) from the server hosting the task's first
 *   parent to j (0 with no parent, or on that server).
 * - `mask` (N): 1 where assigning the task is valid (up, idle, memory fits).
 * - `n`: N, the number of servers up; action `a` names the a-th of them.
 * At the end of an episode there is no task: task features, transfer costs and mask are all 0.
 */
export interface Observation {
  /** Task features (candidate 0's with task-and-server actions). */
  readonly task: Float32Array;
  /** n x serverFeatures, row-major. */
  readonly servers: Float32Array;
  /** 1 where the action is valid: A = n (server actions) or k * n (task-and-server), plus 1 with defer. */
  readonly mask: Uint8Array;
  readonly n: number;
  /** Task-and-server actions: the number of candidate tasks (>= 1). Absent with server actions. */
  readonly k?: number;
  /** Task-and-server actions: k x taskFeatures, row-major (row 0 is `task`). */
  readonly tasks?: Float32Array;
  /** Task-and-server actions: k x n transfer costs (s) from the server of candidate c's first parent to server a. */
  readonly pairs?: Float32Array;
  /** Queue-aware observations: the global context (GLOBAL_FEATURES values). */
  readonly global?: Float32Array;
  /** Present (true) with the defer action: the mask's last entry is "defer". */
  readonly defer?: boolean;
}

/** Builds the observation of `sim`'s pending decision and the up-server index map. */
export function observe(sim: SimulationView, scales: FeatureScales, upServers: Int32Array): { obs: Observation; n: number } {
  let n = 0;
  for (let j = 0; j < sim.serverCount; j++) if (sim.isUp(j)) upServers[n++] = j;
  const arena = new ObservationArena(TASK_FEATURES + n * SERVER_FEATURES, n);
  const task = arena.floats(TASK_FEATURES);
  const servers = arena.floats(n * SERVER_FEATURES);
  const mask = arena.bytes(n);
  const t = sim.task;
  if (t >= 0) {
    task[0] = sim.taskCompute(t) / scales.cRef;
    task[1] = sim.taskMemory(t) / scales.mRef;
    task[2] = sim.successorCount(t) / scales.succRef;
    task[3] = sim.workflowProgress(sim.taskWorkflow(t));
    task[4] = sim.taskOutput(t);
  }
  for (let a = 0; a < n; a++) {
    const j = upServers[a] as number;
    const row = a * SERVER_FEATURES;
    servers[row] = sim.serverCompute(j) / scales.cMax;
    servers[row + 1] = sim.serverMemory(j) / scales.mMax;
    servers[row + 2] = sim.remainingTime(j);
    servers[row + 3] = sim.power(j) / scales.pMax;
    servers[row + 4] = t >= 0 ? sim.firstParentTransfer(t, j) : 0;
    // isValid is false for every server when no task is pending (the end of an episode).
    mask[a] = sim.isValid(j) ? 1 : 0;
  }
  return { obs: { task, servers, mask, n }, n };
}
