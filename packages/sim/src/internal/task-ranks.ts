import type { SimulationView } from '../view.js';

/**
 * HEFT's and CPoP's task priorities (Topcuoglu, Hariri, Wu 1999) for the workflows of a run, computed
 * per workflow on first use and again only when the cluster's mean costs change (servers joining or
 * failing): upward rank, downward rank, and membership of the workflow's critical path.
 *
 * Costs are means over the servers that are up: a task's mean execution time is its compute times the
 * mean of 1/C_j; an edge's mean transfer cost is (n - 1) / n times its transfer time between two
 * servers (a child lands on another server than its parent with that probability), or 0 when
 * transfers delay nothing ('reward-only').
 */
export class TaskRanks {
  readonly upward: Float64Array;
  readonly downward: Float64Array;
  /** 1 for the tasks on their workflow's critical path. */
  readonly critical: Uint8Array;
  private readonly order: Int32Array;
  private readonly pending: Int32Array;
  private readonly childBest: Float64Array;
  private readonly computedExec: Float64Array;
  private readonly computedShare: Float64Array;
  private meanExecPerGflop = 1;
  private meanCommShare = 0;

  constructor(private readonly sim: SimulationView) {
    const n = sim.taskCount;
    this.upward = new Float64Array(n);
    this.downward = new Float64Array(n);
    this.critical = new Uint8Array(n);
    this.order = new Int32Array(n);
    this.pending = new Int32Array(n);
    this.childBest = new Float64Array(n);
    this.computedExec = new Float64Array(sim.workflowCount).fill(Number.NaN);
    this.computedShare = new Float64Array(sim.workflowCount).fill(Number.NaN);
  }

  /** Reads the cluster's current mean costs: O(N). */
  updateCosts(): void {
    const sim = this.sim;
    let up = 0;
    let inverseSpeed = 0;
    for (let j = 0; j < sim.serverCount; j++) {
      if (!sim.isUp(j)) continue;
      up++;
      inverseSpeed += 1 / sim.serverCompute(j);
    }
    this.meanExecPerGflop = up > 0 ? inverseSpeed / up : 0;
    this.meanCommShare = sim.options.communication === 'delays-start' && up > 0 ? (up - 1) / up : 0;
  }

  /** Makes the ranks of `task`'s workflow current. */
  ensure(task: number): void {
    const w = this.sim.taskWorkflow(task);
    if (this.computedExec[w] === this.meanExecPerGflop && this.computedShare[w] === this.meanCommShare) return;
    this.computedExec[w] = this.meanExecPerGflop;
    this.computedShare[w] = this.meanCommShare;
    this.compute(w);
  }

  private compute(w: number): void {
    const sim = this.sim;
    const first = sim.workflowFirstTask(w);
    const last = first + sim.workflowSize(w);
    const exec = this.meanExecPerGflop;
    const share = this.meanCommShare;
    // Reverse topological order (sinks first), peeling tasks whose children are all placed.
    const pending = this.pending;
    const order = this.order;
    let size = 0;
    for (let t = first; t < last; t++) {
      pending[t] = sim.successorCount(t);
      if (pending[t] === 0) order[first + size++] = t;
    }
    for (let head = 0; head < size; head++) {
      const c = order[first + head] as number;
      for (let i = 0; i < sim.parentCount(c); i++) {
        const p = sim.parentAt(c, i);
        pending[p] = (pending[p] as number) - 1;
        if (pending[p] === 0) order[first + size++] = p;
      }
    }
    // Upward rank, sinks first: rank_u(p) = w(p) + max over children c of (comm(p, c) + rank_u(c)).
    for (let t = first; t < last; t++) this.childBest[t] = 0;
    for (let i = first; i < last; i++) {
      const c = order[i] as number;
      const rank = sim.taskCompute(c) * exec + (this.childBest[c] as number);
      this.upward[c] = rank;
      for (let e = 0; e < sim.parentCount(c); e++) {
        const p = sim.parentAt(c, e);
        const via = share * sim.transferTime(sim.parentDataAt(c, e)) + rank;
        if (via > (this.childBest[p] as number)) this.childBest[p] = via;
      }
    }
    // Downward rank, entries first: rank_d(c) = max over parents p of (rank_d(p) + w(p) + comm(p, c)).
    for (let i = last - 1; i >= first; i--) {
      const c = order[i] as number;
      let rank = 0;
      for (let e = 0; e < sim.parentCount(c); e++) {
        const p = sim.parentAt(c, e);
        const via = (this.downward[p] as number) + sim.taskCompute(p) * exec + share * sim.transferTime(sim.parentDataAt(c, e));
        if (via > rank) rank = via;
      }
      this.downward[c] = rank;
    }
    // Critical path (CPoP): from the entry task of highest priority (rank_u + rank_d), repeatedly its
    // child of highest priority; ties to the lowest index.
    let at = -1;
    let best = Number.NEGATIVE_INFINITY;
    for (let t = first; t < last; t++) {
      this.critical[t] = 0;
      if (sim.parentCount(t) !== 0) continue;
      const priority = (this.upward[t] as number) + (this.downward[t] as number);
      if (priority > best) {
        best = priority;
        at = t;
      }
    }
    while (at >= 0) {
      this.critical[at] = 1;
      let next = -1;
      let nextPriority = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < sim.successorCount(at); i++) {
        const c = sim.successorAt(at, i);
        const priority = (this.upward[c] as number) + (this.downward[c] as number);
        if (priority > nextPriority || (priority === nextPriority && c < next)) {
          nextPriority = priority;
          next = c;
        }
      }
      at = next;
    }
  }
}
