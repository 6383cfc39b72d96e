/**
 * What a trained policy does, decision by decision, on the evaluation episodes (a diagnosis, not a table):
 * how often it defers, and how many of its assignments go to the fastest tier. Greedy, masked, drained,
 * at N = 16, on the first `episodes` evaluation seeds (1,000,000 + e).
 *
 *   pnpm --filter @scale/experiments exec tsx scripts/decision-profile.ts RUN_DIR [episodes]
 *
 * RUN_DIR is a `scale train` run directory (config.json and model/). One JSON line per episode.
 */
import { policyFromNetwork } from '@scale/agents';
import { SchedulingEnv } from '@scale/env';
import { loadNetwork } from '@scale/model';
import { EVALUATION_SEED_BASE } from '../src/evaluate.js';
import { readRunRecord } from '../src/run-record.js';
import { methodEnv } from '../src/train-config.js';

const [runDir, episodesArg] = process.argv.slice(2);
if (runDir === undefined) {
  process.stderr.write('usage: decision-profile.ts RUN_DIR [episodes]\n');
  process.exit(2);
}
const episodes = Number(episodesArg ?? '2');
const record = await readRunRecord(runDir);
if (record === null) {
  process.stderr.write(`decision-profile: ${runDir}: no config.json (not a training run directory)\n`);
  process.exit(2);
}
const network = await loadNetwork(`${runDir}/model`);
try {
  const policy = policyFromNetwork(network, { mask: true, mode: 'greedy', seed: 0 });
  const env = new SchedulingEnv({ ...record.config.env, ...methodEnv(record.config.method), nodes: 16, drain: true, invalidAction: 'mask' });
  for (let e = 0; e < episodes; e++) {
    const seed = EVALUATION_SEED_BASE + e;
    let { obs } = env.reset({ seed });
    let defers = 0;
    let assignments = 0;
    let onFastestTier = 0;
    for (;;) {
      const action = policy.act(obs);
      if (obs.defer === true && action === obs.mask.length - 1) defers++;
      else {
        assignments++;
        // Server features start with C_j / C_max: 1 on the fastest tier.
        const server = action % obs.n;
        if (obs.servers[server * (obs.servers.length / obs.n)] === 1) onFastestTier++;
      }
      const step = env.step(action);
      if (step.terminated || step.truncated) {
        process.stdout.write(`${JSON.stringify({ run: runDir, seed, defers, assignments, onFastestTier, meanResponseTime: step.info.episode?.meanResponseTime })}\n`);
        break;
      }
      obs = step.obs;
    }
  }
} finally {
  network.dispose();
}
