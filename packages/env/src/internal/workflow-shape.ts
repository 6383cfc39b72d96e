import type { SimulationView } from '@scale/sim';

/**
 * Static per-task quantities of the DAG that the queue-aware observation reads: the critical path
 * from a task (the largest total compute on a path from it to a sink, itself included) and its
 * descendants (tasks reachable from it). Computed for a whole workflow the first time one of its
 * tasks is observed: O(size + edges) for the paths, O(size * edges / 32) for the descendants, once
 * per workflow per episode.
 */
export class WorkflowShape {
  private criticalPaths: Float64Array;
  private descendantCounts: Int32Array;
  /** 1 once the task's workflow has been computed. */
  private known: Uint8Array;
  // Scratch reused across workflows: tasks ordered by hops, and the descendant bitsets.
  private order = new Int32Array(0);
  private bits = new Uint32Array(0);
  private hopCounts = new Int32Array(0);

  constructor(taskCount: number) {
    this.criticalPaths = new Float64Array(taskCount);
    this.descendantCounts = new Int32Array(taskCount);
    this.known = new Uint8Array(taskCount);
  }

  /** Forgets every workflow (a new episode with `taskCount` tasks). */
  reset(taskCount: number): void {
    if (this.known.length < taskCount) {
      this.criticalPaths = new Float64Array(taskCount);
      this.descendantCounts = new Int32Array(taskCount);
      this.known = new Uint8Array(taskCount);
    } else this.known.fill(0, 0, taskCount);
  }

  criticalPath(sim: SimulationView, task: number): number {
    if (this.known[task] !== 1) this.compute(sim, sim.taskWorkflow(task));
    return this.criticalPaths[task] as number;
  }

  descendants(sim: SimulationView, task: number): number {
    if (this.known[task] !== 1) this.compute(sim, sim.taskWorkflow(task));
    return this.descendantCounts[task] as number;
  }

  private compute(sim: SimulationView, workflow: number): void {
    const first = sim.workflowFirstTask(workflow);
    const size = sim.workflowSize(workflow);
    // Children have fewer hops to a sink than their parents: counting sort by hops is a reverse
    // topological order.
    if (this.order.length < size) this.order = new Int32Array(size);
    if (this.hopCounts.length < size + 1) this.hopCounts = new Int32Array(size + 1);
    const counts = this.hopCounts;
    counts.fill(0, 0, size + 1);
    for (let i = 0; i < size; i++) counts[sim.taskHops(first + i) + 1] = (counts[sim.taskHops(first + i) + 1] as number) + 1;
    for (let h = 1; h <= size; h++) counts[h] = (counts[h] as number) + (counts[h - 1] as number);
    for (let i = 0; i < size; i++) {
      const h = sim.taskHops(first + i);
      this.order[counts[h] as number] = i;
      counts[h] = (counts[h] as number) + 1;
    }
    const words = (size + 31) >>> 5;
    if (this.bits.length < size * words) this.bits = new Uint32Array(size * words);
    const bits = this.bits;
    bits.fill(0, 0, size * words);
    for (let o = 0; o < size; o++) {
      const local = this.order[o] as number;
      const task = first + local;
      let longest = 0;
      const row = local * words;
      for (let c = 0; c < sim.successorCount(task); c++) {
        const child = sim.successorAt(task, c);
        const childLocal = child - first;
        const path = this.criticalPaths[child] as number;
        if (path > longest) longest = path;
        const childRow = childLocal * words;
        for (let w = 0; w < words; w++) bits[row + w] = (bits[row + w] as number) | (bits[childRow + w] as number);
        bits[row + (childLocal >>> 5)] = (bits[row + (childLocal >>> 5)] as number) | (1 << (childLocal & 31));
      }
      this.criticalPaths[task] = sim.taskCompute(task) + longest;
      let count = 0;
      for (let w = 0; w < words; w++) count += popcount(bits[row + w] as number);
      this.descendantCounts[task] = count;
      this.known[task] = 1;
    }
  }
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
