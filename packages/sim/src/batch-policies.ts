import { DEFER, type Decision } from './decision.js';
import { earliestFinishIdleServer } from './internal/idle-servers.js';
import { Planner } from './internal/planner.js';
import type { SimulationView } from './view.js';

/** How a batch scheduler picks the next task of the batch from each task's earliest-finish servers. */
type BatchRule = 'min-min' | 'max-min' | 'sufferage';

/**
 * Batch-mode mapping (Maheswaran et al. 1999), planned afresh at every event (see `Planner`): the batch is
 * every ready task; repeatedly, every unplanned task's earliest-finish server is found (servers busy until
 * they free or until a task planned earlier in the batch ends), one task is picked by the rule and placed
 * there. The placements on idle servers start now; with none, the scheduler defers to the next event.
 * - MinMin (Ibarra and Kim 1977; Braun et al. 2001): the task whose earliest finish is smallest.
 * - MaxMin (same): the task whose earliest finish is largest.
 * - Sufferage (Maheswaran et al. 1999, as SAGA implements it): the task with the largest gap between its
 *   second-earliest and earliest finish (infinite with a single possible server).
 * Ties go to the task first in level 1's order. Planning stops once no idle server is left unplanned,
 * since later steps can only wait.
 *
 * MaxMin and Sufferage keep each unplanned task's best two servers from its last evaluation and, after
 * a placement on server j, evaluate again only the tasks whose best two include j (or that have fewer
 * than two): a placement only makes j later and can only bring in servers of j's class that come after
 * its first two, which finish no earlier than the old second; so every other task's best two stand.
 * A step still scans the unplanned tasks' keys: O(R) per step plus those evaluations, O(R^2) per plan
 * at worst, as the textbook loops. MinMin finds the same task lazily: placements only ever make servers
 * later, so a task's earliest finish never decreases during a plan, and a heap of the finishes last
 * computed holds lower bounds; the task at its top is re-evaluated, and when its finish has not changed
 * it is the step's task (every other task's finish is at least its bound), else it goes back with the
 * new value. All three stop once no unplanned task fits a class with an idle server left (`Planner`'s
 * `largestIdleMemory`): the remaining steps could only be reservations.
 */
export class BatchScheduler {
  private sim: SimulationView | null = null;
  private planner: Planner | null = null;
  private remaining = new Int32Array(0);
  /** MinMin's heap of ready-set positions keyed by (last computed earliest finish, position). */
  private heap = new Int32Array(0);
  private key = new Float64Array(0);
  /** MaxMin's and Sufferage's best two per task, as last evaluated in the current plan. */
  private best = new Int32Array(0);
  private bestFinish = new Float64Array(0);
  private second = new Int32Array(0);
  private secondFinish = new Float64Array(0);
  /**
   * MinMin without transfers: when each task was last evaluated and each server last placed on (one
   * counter over the run; `planStart` is its value when the plan began), so a task's best two are
   * known to stand while neither of its two servers has been placed on since.
   */
  private evaluatedAt = new Float64Array(0);
  private placedAt = new Float64Array(0);
  private counter = 0;
  private planStart = 0;
  /** MinMin without transfers: ready positions by (fit group, compute, position), and each group's range. */
  private classMemory = new Float64Array(0);
  private fitGroupEnd = new Int32Array(0);
  private fitGroupHead = new Int32Array(0);
  private fitGroup = new Int32Array(0);
  private fitCompute = new Float64Array(0);
  private readonly byFit = (a: number, b: number): number =>
    (this.fitGroup[a] as number) - (this.fitGroup[b] as number) || (this.fitCompute[a] as number) - (this.fitCompute[b] as number) || a - b;
  private readonly decision = { task: -1, server: DEFER };

  constructor(
    readonly name: string,
    private readonly rule: BatchRule,
  ) {}

  /** The level-1 task's server alone: its earliest finish among valid servers. */
  choose(sim: SimulationView): number {
    return earliestFinishIdleServer(sim, sim.task);
  }

  decide(sim: SimulationView): Decision {
    if (this.sim !== sim) {
      this.sim = sim;
      this.planner = new Planner(sim);
      this.remaining = new Int32Array(sim.taskCount);
      this.heap = new Int32Array(sim.taskCount);
      this.key = new Float64Array(sim.taskCount);
      this.best = new Int32Array(sim.taskCount);
      this.bestFinish = new Float64Array(sim.taskCount);
      this.second = new Int32Array(sim.taskCount);
      this.secondFinish = new Float64Array(sim.taskCount);
      this.evaluatedAt = new Float64Array(sim.taskCount);
      this.placedAt = new Float64Array(sim.serverCount);
      this.classMemory = Float64Array.from({ length: sim.classCount }, (_, k) => sim.classMemory(k));
      this.fitGroupEnd = new Int32Array(sim.classCount + 1);
      this.fitGroupHead = new Int32Array(sim.classCount + 1);
      this.fitGroup = new Int32Array(sim.taskCount);
      this.fitCompute = new Float64Array(sim.taskCount);
    }
    const planner = this.planner as Planner;
    if (!planner.planStands()) {
      if (this.rule !== 'min-min') this.plan(sim, planner);
      else if (sim.options.communication === 'delays-start') this.planMinMin(sim, planner);
      else this.planMinMinByFit(sim, planner);
    }
    const decision = this.decision;
    if (!planner.nextStart(decision)) {
      decision.task = sim.task;
      decision.server = DEFER;
    }
    return decision;
  }

  private plan(sim: SimulationView, planner: Planner): void {
    planner.beginPlan();
    const remaining = this.remaining;
    const best = this.best;
    const bestFinish = this.bestFinish;
    const second = this.second;
    const secondFinish = this.secondFinish;
    const maxMin = this.rule === 'max-min';
    let count = sim.readyTasks;
    for (let i = 0; i < count; i++) {
      const task = sim.readyTaskAt(i);
      remaining[i] = task;
      this.remember(planner, task);
    }
    let idleMemory = planner.largestIdleMemory;
    let startable = countFitting(sim, remaining, 0, count, idleMemory);
    // The server of the last placement (-1 before the first): only the tasks whose best two include
    // it can see their best two change, so only they are evaluated again.
    let placed = -1;
    while (count > 0 && planner.idleServersLeft && startable > 0) {
      let pick = -1;
      let pickKey = 0;
      for (let i = 0; i < count; i++) {
        const task = remaining[i] as number;
        if (placed >= 0 && (best[task] === placed || second[task] === placed || (second[task] as number) < 0)) this.remember(planner, task);
        if ((best[task] as number) < 0) continue;
        const key = maxMin ? (bestFinish[task] as number) : (secondFinish[task] as number) - (bestFinish[task] as number);
        if (pick < 0 || key > pickKey) {
          pick = i;
          pickKey = key;
        }
      }
      if (pick < 0) break;
      const task = remaining[pick] as number;
      placed = best[task] as number;
      planner.place(task, placed, bestFinish[task] as number);
      remaining.copyWithin(pick, pick + 1, count);
      count--;
      if (sim.taskMemory(task) <= idleMemory) startable--;
      if (planner.largestIdleMemory !== idleMemory) {
        idleMemory = planner.largestIdleMemory;
        startable = countFitting(sim, remaining, 0, count, idleMemory);
      }
    }
  }

  /** Evaluates `task` in the plan and keeps its best two. */
  private remember(planner: Planner, task: number): void {
    planner.evaluate(task);
    this.best[task] = planner.best;
    this.bestFinish[task] = planner.bestFinish;
    this.second[task] = planner.second;
    this.secondFinish[task] = planner.secondFinish;
  }

  /**
   * MinMin under reward-only communication, the same steps as `planMinMin` with fewer evaluations.
   * Tasks that fit the same classes (same number of classes with enough memory) have the same candidate
   * servers, and a task's earliest finish max(now, avail_j) + c_t / C_j is non-decreasing in c_t on
   * each, so within such a group the smallest finish is the first task's in compute order, shared only
   * by the tasks right after it with an equal finish (the lowest position among them wins the tie).
   * A step evaluates, per group, that first task and its followers while equal, reusing each task's
   * best two while neither of its servers has been placed on since (see `plan`).
   */
  private planMinMinByFit(sim: SimulationView, planner: Planner): void {
    planner.beginPlan();
    this.counter++;
    this.planStart = this.counter;
    const count = sim.readyTasks;
    const tasks = this.remaining;
    const order = this.heap;
    const classMemory = this.classMemory;
    for (let i = 0; i < count; i++) {
      const task = sim.readyTaskAt(i);
      tasks[i] = task;
      order[i] = i;
      const memory = sim.taskMemory(task);
      let group = 0;
      for (let k = 0; k < classMemory.length; k++) if ((classMemory[k] as number) >= memory) group++;
      this.fitGroup[i] = group;
      this.fitCompute[i] = sim.taskCompute(task);
    }
    order.subarray(0, count).sort(this.byFit);
    const groupEnd = this.fitGroupEnd;
    const groupHead = this.fitGroupHead;
    groupEnd.fill(0);
    groupHead.fill(0);
    for (let p = 0; p < count; p++) groupEnd[this.fitGroup[order[p] as number] as number] = p + 1;
    for (let g = 1; g < groupEnd.length; g++) {
      if ((groupEnd[g] as number) === 0) groupEnd[g] = groupEnd[g - 1] as number;
      groupHead[g] = groupEnd[g - 1] as number;
    }
    let idleMemory = planner.largestIdleMemory;
    let startable = countFitting(sim, tasks, 0, count, idleMemory);
    while (planner.idleServersLeft && startable > 0) {
      let pick = -1;
      let pickFinish = 0;
      for (let g = 1; g < groupEnd.length; g++) {
        const end = groupEnd[g] as number;
        let p = groupHead[g] as number;
        while (p < end && (tasks[order[p] as number] as number) < 0) p++;
        groupHead[g] = p;
        if (p === end) continue;
        let position = order[p] as number;
        const finish = this.earliestFinish(planner, tasks[position] as number);
        if (finish < 0) {
          // No server can hold the group's tasks.
          groupHead[g] = end;
          continue;
        }
        for (let q = p + 1; q < end; q++) {
          const other = order[q] as number;
          const task = tasks[other] as number;
          if (task < 0) continue;
          if (this.earliestFinish(planner, task) !== finish) break;
          if (other < position) position = other;
        }
        if (pick < 0 || finish < pickFinish || (finish === pickFinish && position < pick)) {
          pick = position;
          pickFinish = finish;
        }
      }
      if (pick < 0) break;
      const task = tasks[pick] as number;
      const server = this.best[task] as number;
      planner.place(task, server, pickFinish);
      this.counter++;
      this.placedAt[server] = this.counter;
      tasks[pick] = -1;
      if (sim.taskMemory(task) <= idleMemory) startable--;
      if (planner.largestIdleMemory !== idleMemory) {
        idleMemory = planner.largestIdleMemory;
        startable = countFitting(sim, tasks, 0, count, idleMemory);
      }
    }
  }

  /** `task`'s earliest finish in the plan (-1 when no server can hold it), evaluated only when its best two may have changed. */
  private earliestFinish(planner: Planner, task: number): number {
    const evaluated = this.evaluatedAt[task] as number;
    const best = this.best[task] as number;
    const second = this.second[task] as number;
    if (evaluated < this.planStart || best < 0 || second < 0 || (this.placedAt[best] as number) > evaluated || (this.placedAt[second] as number) > evaluated) {
      this.remember(planner, task);
      this.evaluatedAt[task] = this.counter;
      if ((this.best[task] as number) < 0) return -1;
    }
    return this.bestFinish[task] as number;
  }

  private planMinMin(sim: SimulationView, planner: Planner): void {
    planner.beginPlan();
    const tasks = this.remaining;
    const key = this.key;
    const heap = this.heap;
    let size = 0;
    for (let i = 0; i < sim.readyTasks; i++) {
      const task = sim.readyTaskAt(i);
      tasks[i] = task;
      planner.evaluate(task);
      if (planner.best < 0) continue;
      key[i] = planner.bestFinish;
      // Sift up.
      let at = size++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        const p = heap[parent] as number;
        if (!this.before(i, p)) break;
        heap[at] = p;
        at = parent;
      }
      heap[at] = i;
    }
    let idleMemory = planner.largestIdleMemory;
    let startable = countFittingAt(sim, tasks, heap, size, idleMemory);
    while (size > 0 && planner.idleServersLeft && startable > 0) {
      const i = heap[0] as number;
      const task = tasks[i] as number;
      planner.evaluate(task);
      if (planner.bestFinish === key[i]) {
        planner.place(task, planner.best, planner.bestFinish);
        heap[0] = heap[--size] as number;
        if (sim.taskMemory(task) <= idleMemory) startable--;
        if (planner.largestIdleMemory !== idleMemory) {
          idleMemory = planner.largestIdleMemory;
          startable = countFittingAt(sim, tasks, heap, size, idleMemory);
        }
      } else {
        key[i] = planner.bestFinish;
      }
      this.siftDown(size);
    }
  }

  /** MinMin's heap order: earlier last-computed finish, then earlier in level 1's order. */
  private before(a: number, b: number): boolean {
    const ka = this.key[a] as number;
    const kb = this.key[b] as number;
    return ka < kb || (ka === kb && a < b);
  }

  private siftDown(size: number): void {
    const heap = this.heap;
    if (size === 0) return;
    const item = heap[0] as number;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.before(heap[right] as number, heap[left] as number) ? right : left;
      const c = heap[child] as number;
      if (!this.before(c, item)) break;
      heap[at] = c;
      at = child;
    }
    heap[at] = item;
  }
}

/** How many of `tasks[from..to)` (-1: planned) fit in `memory` (could still start on an idle server of the plan). */
function countFitting(sim: SimulationView, tasks: Int32Array, from: number, to: number, memory: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const task = tasks[i] as number;
    if (task >= 0 && sim.taskMemory(task) <= memory) count++;
  }
  return count;
}

/** The same over the tasks `tasks[heap[0..size)]`. */
function countFittingAt(sim: SimulationView, tasks: Int32Array, heap: Int32Array, size: number, memory: number): number {
  let count = 0;
  for (let i = 0; i < size; i++) if (sim.taskMemory(tasks[heap[i] as number] as number) <= memory) count++;
  return count;
}
