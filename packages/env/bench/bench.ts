/**
 * Env throughput: steps per second with a random valid policy (uniform over the mask) at
 * N = 16, 48, 256, training episodes (horizon 100 s, truncated), observations built every step.
 * One JSON line per N.
 *
 *   pnpm --filter @scale/env bench
 */
import { Rng } from '@scale/workload';
import { makeEnv } from '../src/index.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const nodes of sizes.length > 0 ? sizes : [16, 48, 256]) {
  const env = makeEnv({ nodes });
  const rng = new Rng(1).child('bench-policy');
  const valid = new Int32Array(nodes);
  let steps = 0;
  let elapsed = 0;
  let episode = 0;
  const runEpisode = (): number => {
    let { obs } = env.reset({ seed: episode++ });
    let count = 0;
    for (;;) {
      let k = 0;
      for (let a = 0; a < obs.n; a++) if (obs.mask[a] === 1) valid[k++] = a;
      const result = env.step(valid[rng.int(0, k - 1)] as number);
      count++;
      if (result.terminated || result.truncated) return count;
      obs = result.obs;
    }
  };
  runEpisode(); // warm-up for the JIT
  while (elapsed < 2e9) {
    const started = process.hrtime.bigint();
    steps += runEpisode();
    elapsed += Number(process.hrtime.bigint() - started);
  }
  console.log(JSON.stringify({ N: nodes, stepsPerSec: Math.round(steps / (elapsed / 1e9)), nanosecondsPerStepPerServer: Math.round(elapsed / steps / nodes) }));
}
