import { DEFER, type Decision } from './decision.js';
import { earliestFinishIdleServer, fastestIdleServer } from './internal/idle-servers.js';
import { Planner } from './internal/planner.js';
import { TaskRanks } from './internal/task-ranks.js';
import type { SimulationView } from './view.js';

/** Which ready task a list scheduler plans first. */
type ListOrder = 'upward-rank' | 'cpop-priority' | 'level-1';
/** Where it plans a task. */
type ServerRule = 'earliest-finish' | 'least-execution' | 'critical-path';

/**
 * Busy-aware list scheduling, planned afresh at every event (see `Planner`): the ready tasks in the
 * scheduler's priority order, each placed on its server by the rule, servers busy until they free or
 * until a task placed earlier in the same plan ends; the placements on idle servers start now, and with
 * none the scheduler defers to the next event. The textbook loops (sim README, "Heuristics"):
 * - HEFT (Topcuoglu, Hariri, Wu 1999): upward rank descending, earliest finish.
 * - CPoP (same paper): upward + downward rank descending; a task on its workflow's critical path goes to
 *   the fastest server that can hold it (the critical-path processor), any other to its earliest finish.
 * - MCT (Braun et al. 2001): arbitrary order (level 1's), minimum completion time.
 * - MET (Braun et al. 2001): arbitrary order (level 1's), minimum execution time whatever the server's
 *   availability.
 * Ties in the order keep level 1's order.
 */
export class ListScheduler {
  private sim: SimulationView | null = null;
  private planner: Planner | null = null;
  private ranks: TaskRanks | null = null;
  private order = new Int32Array(0);
  private position = new Int32Array(0);
  private key = new Float64Array(0);
  private readonly decision = { task: -1, server: DEFER };
  private readonly byKey = (a: number, b: number): number =>
    (this.key[b] as number) - (this.key[a] as number) || (this.position[a] as number) - (this.position[b] as number);

  constructor(
    readonly name: string,
    private readonly ordering: ListOrder,
    private readonly rule: ServerRule,
  ) {}

  /** The level-1 task's server alone, by the rule restricted to its valid servers. */
  choose(sim: SimulationView): number {
    const task = sim.task;
    if (this.rule === 'least-execution') return fastestIdleServer(sim, task);
    if (this.rule === 'critical-path') {
      const ranks = this.bind(sim).ranks as TaskRanks;
      ranks.updateCosts();
      ranks.ensure(task);
      if (ranks.critical[task] === 1) return fastestIdleServer(sim, task);
    }
    return earliestFinishIdleServer(sim, task);
  }

  decide(sim: SimulationView): Decision {
    const planner = this.bind(sim).planner as Planner;
    if (!planner.planStands()) this.plan(sim, planner);
    const decision = this.decision;
    if (!planner.nextStart(decision)) {
      decision.task = sim.task;
      decision.server = DEFER;
    }
    return decision;
  }

  private bind(sim: SimulationView): this {
    if (this.sim === sim) return this;
    this.sim = sim;
    this.planner = new Planner(sim);
    this.ranks = this.ordering === 'level-1' ? null : new TaskRanks(sim);
    this.order = new Int32Array(sim.taskCount);
    this.position = new Int32Array(sim.taskCount);
    this.key = new Float64Array(sim.taskCount);
    return this;
  }

  private plan(sim: SimulationView, planner: Planner): void {
    planner.beginPlan();
    const count = sim.readyTasks;
    const order = this.order;
    for (let i = 0; i < count; i++) {
      const task = sim.readyTaskAt(i);
      order[i] = task;
      this.position[task] = i;
    }
    const ranks = this.ranks;
    if (ranks !== null) {
      ranks.updateCosts();
      const withDownward = this.ordering === 'cpop-priority';
      for (let i = 0; i < count; i++) {
        const task = order[i] as number;
        ranks.ensure(task);
        this.key[task] = (ranks.upward[task] as number) + (withDownward ? (ranks.downward[task] as number) : 0);
      }
      order.subarray(0, count).sort(this.byKey);
    }
    // `startable`: the first task from `i` on that a step could still start (`Planner.canStart`); once
    // there is none, the rest of the plan would only be reservations. Answers only turn false during a
    // plan, so the search never goes back: O(R x classes) per plan.
    let startable = 0;
    while (startable < count && !planner.canStart(order[startable] as number, this.fastest(order[startable] as number))) startable++;
    let idleVersion = planner.idleVersion;
    for (let i = 0; i < count && planner.idleServersLeft && startable < count; i++) {
      const task = order[i] as number;
      if (this.fastest(task)) planner.evaluateFastest(task);
      else planner.evaluate(task);
      if (planner.best >= 0) planner.place(task, planner.best, planner.bestFinish);
      if (startable <= i || planner.idleVersion !== idleVersion) {
        idleVersion = planner.idleVersion;
        if (startable <= i) startable = i + 1;
        while (startable < count && !planner.canStart(order[startable] as number, this.fastest(order[startable] as number))) startable++;
      }
    }
  }

  /** Whether the rule sends `task` to the fastest server that holds it (MET; CPoP's critical path). */
  private fastest(task: number): boolean {
    return this.rule === 'least-execution' || (this.rule === 'critical-path' && (this.ranks as TaskRanks).critical[task] === 1);
  }
}
