/**
 * Simulator throughput: decisions per second of drained `eft` episodes at N = 16, 48, 256, 1024 with
 * the paper's workload (lambda_N = 1.25 N / 16, horizon 100 s). Workload generation is excluded; building
 * the simulation from the workflows and running it to the end are included. One JSON line per N.
 *
 *   pnpm --filter @scale/sim bench            # all sizes
 *   pnpm --filter @scale/sim bench -- 16 48   # some sizes
 */
import { paperWorkload, scaledArrivalRate } from '@scale/workload';
import { makeCluster, makePolicy, runEpisode, Simulation } from '../src/index.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const minSeconds = 2;

for (const nodes of sizes.length > 0 ? sizes : [16, 48, 256, 1024]) {
  const servers = makeCluster({ nodes });
  const workloads = Array.from({ length: 8 }, (_, seed) => paperWorkload({ seed, horizon: 100, arrivalRate: scaledArrivalRate(1.25, nodes) }));
  const policy = makePolicy('eft');
  // Warm-up: let the JIT compile the hot paths before timing.
  for (const workflows of workloads.slice(0, 2)) runEpisode(new Simulation({ servers, workflows, drain: true }), policy);
  let decisions = 0;
  let episodes = 0;
  let elapsed = 0;
  while (elapsed < minSeconds * 1e9) {
    const workflows = workloads[episodes % workloads.length]!;
    const started = process.hrtime.bigint();
    const sim = runEpisode(new Simulation({ servers, workflows, drain: true }), policy);
    elapsed += Number(process.hrtime.bigint() - started);
    decisions += sim.decisions;
    episodes++;
  }
  const decisionsPerSec = Math.round(decisions / (elapsed / 1e9));
  console.log(JSON.stringify({ N: nodes, policy: 'eft', decisionsPerSec, episodes, decisionsPerEpisode: Math.round(decisions / episodes) }));
}
