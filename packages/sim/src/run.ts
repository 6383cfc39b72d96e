import type { Policy } from './policies.js';
import type { Simulation } from './simulation.js';

/** Drives a simulation to its end with a heuristic policy. Returns the simulation for metrics and trace. */
export function runEpisode(sim: Simulation, policy: Policy): Simulation {
  while (sim.next()) sim.assign(policy.choose(sim));
  return sim;
}
