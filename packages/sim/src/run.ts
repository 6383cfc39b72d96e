import { DEFER, type Decision } from './decision.js';
import type { Policy } from './policy.js';
import type { Simulation } from './simulation.js';

/**
 * Drives a simulation to its end with a heuristic policy: through `decide` when the policy has it (any
 * ready task, or defer to the next event), else through `choose` (a server for the level-1 task).
 * Returns the simulation for metrics and trace.
 */
export function runEpisode(sim: Simulation, policy: Policy): Simulation {
  if (policy.decide === undefined) {
    while (sim.next()) sim.assign(policy.choose(sim));
    return sim;
  }
  while (sim.next()) applyDecision(sim, policy.decide(sim));
  return sim;
}

/** Carries out a policy's decision at the pending decision point: wait, start the level-1 task, or start another ready task. */
export function applyDecision(sim: Simulation, decision: Decision): void {
  if (decision.server === DEFER) sim.deferToNextEvent();
  else if (decision.task === sim.task) sim.assign(decision.server);
  else sim.assignTask(decision.task, decision.server);
}
