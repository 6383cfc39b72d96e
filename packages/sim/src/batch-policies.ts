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
 */
export class BatchScheduler {
  private sim: SimulationView | null = null;
  private planner: Planner | null = null;
  private remaining = new Int32Array(0);
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
    }
    const planner = this.planner as Planner;
    if (!planner.planStands()) this.plan(sim, planner);
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
    let count = sim.readyTasks;
    for (let i = 0; i < count; i++) remaining[i] = sim.readyTaskAt(i);
    while (count > 0 && planner.idleServersLeft) {
      let pick = -1;
      let pickKey = 0;
      let pickServer = -1;
      let pickFinish = 0;
      for (let i = 0; i < count; i++) {
        planner.evaluate(remaining[i] as number);
        if (planner.best < 0) continue;
        const key =
          this.rule === 'min-min' ? -planner.bestFinish : this.rule === 'max-min' ? planner.bestFinish : planner.secondFinish - planner.bestFinish;
        if (pick < 0 || key > pickKey) {
          pick = i;
          pickKey = key;
          pickServer = planner.best;
          pickFinish = planner.bestFinish;
        }
      }
      if (pick < 0) break;
      planner.place(remaining[pick] as number, pickServer, pickFinish);
      remaining.copyWithin(pick, pick + 1, count);
      count--;
    }
  }
}
