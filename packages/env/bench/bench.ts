/**
 * Env throughput: steps per second with a random valid policy (uniform over the mask), training
 * episodes (truncated at the horizon), observations built every step, resets included. One JSON line
 * per case.
 *
 *   pnpm --filter @scale/env bench              # the paper's layout at N = 16, 48, 256
 *   pnpm --filter @scale/env bench 16 1024      # the paper's layout at the given N
 *   pnpm --filter @scale/env bench --layouts    # issue 14's layouts at N = 16 and 1,024
 *   pnpm --filter @scale/env bench --expert     # RolloutExpert's labels (DAgger's teacher) at N = 16 and 48
 */
import { Rng } from '@scale/workload';
import { type EnvConfigInput, makeEnv, RolloutExpert } from '../src/index.js';

interface Case {
  readonly name: string;
  readonly config: EnvConfigInput;
}

const args = process.argv.slice(2);
const sizes = args.map(Number).filter((n) => n > 0);
const paperCases = (sizes.length > 0 ? sizes : [16, 48, 256]).map((nodes): Case => ({ name: 'paper', config: { nodes } }));
// N = 1,024 runs 10 s episodes (about 4,500 decisions each) so that several fit in the measuring time.
const layoutCases = [16, 1024].flatMap((nodes): Case[] => {
  const base = { nodes, ...(nodes > 256 ? { horizon: 10 } : {}) };
  return [
    { name: 'queue-aware', config: { ...base, observation: 'queue-aware' } },
    { name: 'task-and-server', config: { ...base, actions: 'task-and-server' } },
    { name: 'scale-rt (response-time, queue-aware, task-and-server, defer)', config: { ...base, objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true } },
    // The presets' 4 candidates, in each window: level-1-and-shortest scans every ready task.
    ...(['level-1', 'level-1-and-shortest'] as const).map((candidateWindow) => ({
      name: `scale-rt preset, 4 candidates, ${candidateWindow} window`,
      config: { ...base, objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4, candidateWindow } as EnvConfigInput,
    })),
  ];
});

/**
 * The expert's cost: one training episode (100 s of arrivals, truncated there) in the imitation
 * methods' layout, driven by the expert's own actions with every state labelled (DAgger's first
 * epochs); labels per second and the mean distinct actions scored per label.
 */
function benchExpert(): void {
  const layout: EnvConfigInput = { objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4, candidateWindow: 'level-1-and-shortest', invalidAction: 'mask' };
  const expert = new RolloutExpert({ bases: ['sjf', 'eft', 'mct'] });
  for (const nodes of [16, 48]) {
    const env = makeEnv({ ...layout, nodes });
    let { obs } = env.reset({ seed: 1 });
    let labels = 0;
    let scored = 0;
    const started = process.hrtime.bigint();
    for (;;) {
      const label = expert.label(env, obs);
      labels++;
      scored += label.scored;
      const step = env.step(label.action);
      if (step.terminated || step.truncated) break;
      obs = step.obs;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(JSON.stringify({ expert: 'rollout over sjf, eft, mct', N: nodes, labels, labelsPerSec: Math.round(labels / seconds), millisecondsPerLabel: Number(((1000 * seconds) / labels).toFixed(2)), actionsScoredPerLabel: Number((scored / labels).toFixed(1)) }));
  }
}

if (args.includes('--expert')) {
  benchExpert();
  process.exit(0);
}

for (const { name, config } of args.includes('--layouts') ? layoutCases : paperCases) {
  const env = makeEnv(config);
  const rng = new Rng(1).child('bench-policy');
  let valid = new Int32Array(64);
  let steps = 0;
  let elapsed = 0;
  let episode = 0;
  const runEpisode = (): number => {
    let { obs } = env.reset({ seed: episode++ });
    let count = 0;
    for (;;) {
      if (valid.length < obs.mask.length) valid = new Int32Array(obs.mask.length);
      let k = 0;
      for (let a = 0; a < obs.mask.length; a++) if (obs.mask[a] === 1) valid[k++] = a;
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
  const nodes = config.nodes as number;
  console.log(JSON.stringify({ layout: name, N: nodes, stepsPerSec: Math.round(steps / (elapsed / 1e9)), nanosecondsPerStepPerServer: Math.round(elapsed / steps / nodes) }));
}
