import type { Decision } from './decision.js';
import type { SimulationView } from './view.js';

/**
 * A scheduling policy. `choose` names a server for the pending level-1 task (`sim.task` at `sim.now`);
 * heuristics read the state through `SimulationView` only and always name a valid server; learned
 * agents drive `sim.act` through the env instead.
 *
 * A policy that also picks the task, or waits, has `decide`: any ready task with a valid server and that
 * server, or `DEFER` to hold every decision until the next event. `runEpisode` uses `decide` when
 * present and `choose` otherwise. The returned object may be reused by the policy's next call.
 */
export interface Policy {
  readonly name: string;
  choose(sim: SimulationView): number;
  decide?(sim: SimulationView): Decision;
}
