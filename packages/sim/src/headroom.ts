import { ConfigError, validateWorkflow, type Workflow } from '@scale/workload';

/** The servers a bound needs: speed and memory (any `ServerSpec` fits). */
export interface BoundServer {
  readonly compute: number;
  readonly memory: number;
}

/**
 * Lower bounds on the mean response time of an episode in which every task of `workflows` completes
 * (a drained run): no schedule on these servers, by any policy, does better. Seconds; null with no task.
 * Proofs in the package README ("Headroom").
 */
export interface ResponseTimeBound {
  /** The best of the bounds below combined task by task: the one to report. */
  readonly lowerBound: number | null;
  /**
   * No queueing: each task's longest compute path from its workflow's arrival, every task on the fastest
   * server that can hold it (DESIGN.md section 8).
   */
  readonly criticalPathBound: number | null;
  /**
   * Capacity: the whole cluster as one machine of the summed speed that may split its speed among tasks
   * and preempt for free, each task released at its critical-path earliest start; shortest remaining
   * work first is optimal there.
   */
  readonly capacityBound: number | null;
  /** Tasks the mean is over. */
  readonly tasks: number;
}

/**
 * The per-episode headroom bound (see `ResponseTimeBound`). `servers` are all servers that are ever up
 * (joins included; failures only slow a schedule down, so ignoring them keeps the bound valid), and
 * `workflows` all workflows of the episode. O(T log T) for T tasks.
 */
export function responseTimeBound(servers: readonly BoundServer[], workflows: readonly Workflow[]): ResponseTimeBound {
  if (servers.length === 0) throw new ConfigError('servers', 'at least one server', 0);
  // Speed of the fastest server with at least each memory size, by memory descending.
  const byMemory = [...servers].sort((a, b) => b.memory - a.memory);
  const memoryLevels: number[] = [];
  const fastestFitting: number[] = [];
  let fastest = 0;
  let totalSpeed = 0;
  for (const server of byMemory) {
    fastest = Math.max(fastest, server.compute);
    totalSpeed += server.compute;
    memoryLevels.push(server.memory);
    fastestFitting.push(fastest);
  }
  /** Fastest speed among servers with memory >= m: the last level (smallest memory) still >= m. */
  const speedFor = (memory: number): number => {
    let lo = 0;
    let hi = memoryLevels.length; // levels[0..lo) are >= memory
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((memoryLevels[mid] as number) >= memory) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : (fastestFitting[lo - 1] as number);
  };

  let taskCount = 0;
  for (const w of workflows) taskCount += w.tasks.length;
  const release = new Float64Array(taskCount);
  const finish = new Float64Array(taskCount);
  const work = new Float64Array(taskCount);
  let arrivalSum = 0;
  let base = 0;
  workflows.forEach((workflow, wi) => {
    const order = validateWorkflow(workflow);
    const local = new Map<number, number>();
    workflow.tasks.forEach((task, k) => {
      local.set(task.id, k);
    });
    for (const k of order) {
      const task = workflow.tasks[k] as Workflow['tasks'][number];
      const speed = speedFor(task.memory);
      if (speed === 0) throw new ConfigError(`workflows[${wi}].tasks[${k}].memory`, 'at most the largest server memory', task.memory);
      let earliest = workflow.arrival;
      for (const parent of task.parents) earliest = Math.max(earliest, finish[base + (local.get(parent) as number)] as number);
      release[base + k] = earliest;
      finish[base + k] = earliest + task.compute / speed;
      work[base + k] = task.compute;
    }
    arrivalSum += workflow.arrival * workflow.tasks.length;
    base += workflow.tasks.length;
  });
  if (taskCount === 0) return { lowerBound: null, criticalPathBound: null, capacityBound: null, tasks: 0 };

  const criticalPath = Float64Array.from(finish).sort();
  const capacity = fluidSrptCompletions(release, work, totalSpeed);
  let criticalPathSum = 0;
  let capacitySum = 0;
  let combinedSum = 0;
  for (let k = 0; k < taskCount; k++) {
    const a = criticalPath[k] as number;
    const b = capacity[k] as number;
    criticalPathSum += a;
    capacitySum += b;
    combinedSum += Math.max(a, b);
  }
  return {
    lowerBound: (combinedSum - arrivalSum) / taskCount,
    criticalPathBound: (criticalPathSum - arrivalSum) / taskCount,
    capacityBound: (capacitySum - arrivalSum) / taskCount,
    tasks: taskCount,
  };
}

/**
 * Completion times, ascending, of preemptive shortest-remaining-work-first on one machine of speed
 * `speed`, jobs released at `release` with `work` each.
 */
function fluidSrptCompletions(release: Float64Array, work: Float64Array, speed: number): Float64Array {
  const n = release.length;
  const byRelease = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => (release[a] as number) - (release[b] as number) || a - b);
  const remaining = Float64Array.from(work);
  const heap = new MinHeap(remaining, n);
  const completions = new Float64Array(n);
  let done = 0;
  let next = 0;
  let now = 0;
  while (done < n) {
    if (heap.size === 0) now = Math.max(now, release[byRelease[next] as number] as number);
    while (next < n && (release[byRelease[next] as number] as number) <= now) heap.push(byRelease[next++] as number);
    const job = heap.peek();
    const nextRelease = next < n ? (release[byRelease[next] as number] as number) : Number.POSITIVE_INFINITY;
    const finishAt = now + (remaining[job] as number) / speed;
    if (finishAt <= nextRelease) {
      heap.pop();
      completions[done++] = finishAt;
      now = finishAt;
    } else {
      // Preempted at the next release: the heap key shrinks, so the job stays at the root.
      remaining[job] = (remaining[job] as number) - (nextRelease - now) * speed;
      now = nextRelease;
    }
  }
  return completions;
}

/** Binary min-heap of job indices keyed by `key[job]` (ties by index). */
class MinHeap {
  private readonly items: Int32Array;
  size = 0;

  constructor(
    private readonly key: Float64Array,
    capacity: number,
  ) {
    this.items = new Int32Array(capacity);
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a] as number;
    const kb = this.key[b] as number;
    return ka < kb || (ka === kb && a < b);
  }

  peek(): number {
    return this.items[0] as number;
  }

  push(job: number): void {
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.items[parent] as number;
      if (!this.less(job, p)) break;
      this.items[i] = p;
      i = parent;
    }
    this.items[i] = job;
  }

  pop(): void {
    const last = this.items[--this.size] as number;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.less(this.items[right] as number, this.items[left] as number) ? right : left;
      if (!this.less(this.items[child] as number, last)) break;
      this.items[i] = this.items[child] as number;
      i = child;
    }
    if (this.size > 0) this.items[i] = last;
  }
}
