/**
 * DESIGN.md section 3's calibration rule for lambda_16: with `eft`, drained, 8 seeds, measure mean
 * server occupancy (utilization) and mean response time at N = 16 and 48 for several lambda_16.
 * The default 1.25 stands while occupancy at N = 16 is within 0.65-0.80.
 *
 *   pnpm --filter @scale/sim calibrate
 */
import { createSimulation, makePolicy, runEpisode } from '../src/index.js';

const seeds = Array.from({ length: 8 }, (_, i) => i);
for (const lambda16 of [1.0, 1.25, 1.5]) {
  for (const nodes of [16, 48]) {
    let occupancy = 0;
    let response = 0;
    for (const seed of seeds) {
      const sim = runEpisode(createSimulation({ nodes, seed, lambda16, drain: true }), makePolicy('eft'));
      const m = sim.metrics();
      occupancy += m.utilization;
      response += m.meanResponseTime ?? Number.NaN;
    }
    console.log(JSON.stringify({ lambda16, N: nodes, policy: 'eft', seeds: seeds.length, occupancy: +(occupancy / seeds.length).toFixed(3), meanResponseTime: +(response / seeds.length).toFixed(2) }));
  }
}
