/**
 * `pnpm --filter @scale/agents bench`: trains `scale` (PPO, cross-attention, SRR) at N = 16 with the
 * paper's collect and update sizes (4 envs x 256 steps, 8 passes of minibatch 256) for a few epochs
 * and prints end-to-end env steps per second (simulation, rollout and update together), one JSON line.
 * Usage: bench.ts [--epochs E] [--backend wasm|cpu] [--method m] [--update-epochs k] [--minibatch B] [--update-threads T] [--runs R]
 *                 [--env synthetic] [--candidates K]
 *
 * A method with env settings (`scale-rt`, `crossattn-rt`) trains on the simulator's env with them
 * (mask mode; `--candidates` overrides the method's cap). With `--env synthetic` it trains on
 * `PairBanditVecEnv` at N = 16 instead of the simulator: k candidates per decision drawn from the
 * candidate counts of the paper workload's decisions at N = 16 (measured below), capped at
 * `--candidates` (default: the method's cap, 4 for the response-time presets), with defer, a
 * 4-value global context and pair features. The env costs next to nothing there, so the figure is
 * the agent's side: acting, batching and the update.
 * `cpuStepsPerSec` divides by this process's CPU time rather than wall time (the machine is shared).
 *
 * An imitation method (`scale-il`, `crossattn-il`) trains DAgger on the simulator's env with
 * `@scale/env`'s rollout expert over sjf, eft and mct (4 envs x 16 labelled steps, 4 gradient steps
 * per epoch) and prints `dagger-train`: env steps per second, the expert's labels per second of its
 * own time, and the share of the run's time the expert took. `--epochs 44` covers about one 100 s
 * training episode per env (a label's cost falls as its episode nears its end).
 *
 * `--runs R` (R > 1) trains R independent runs at once, one process each (how `scale reproduce` uses
 * the cores: a run per worker), and also prints their summed steps/s as `ppo-train-parallel`.
 */
import { spawn } from 'node:child_process';
import { RolloutExpert, VectorEnv } from '@scale/env';
import { useBackend } from '@scale/model';
import { DAgger, PPO, type VecEnvLike, resolveMethod } from '../src/index.js';
import { PairBanditVecEnv } from '../src/internal/pair-bandit-env.js';

/**
 * Share of decisions with k = 1, 2, ... ready tasks that have a valid server, paper workload at
 * N = 16 (lambda_16 = 1.25, horizon 100 s, seeds 1-4, 2,514 decisions, the fastest valid server
 * taken): 50.4% have one, 16.7% two, 18.8% eight or more.
 */
const N16_CANDIDATES = [50.4, 16.7, 5.5, 2.6, 2.3, 2.5, 1.2, 18.8];

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const epochs = Number(flag('--epochs', '6'));
const runs = Number(flag('--runs', '1'));
if (runs > 1) {
  // Each child is this script with --runs 1; they start together, so their measured windows overlap.
  const childArgs = args.map((a, i) => (args[i - 1] === '--runs' ? '1' : a));
  const lines = await Promise.all(
    Array.from(
      { length: runs },
      () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string, ...childArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
          });
          child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').at(-1) as string) : reject(new Error(`bench child exited with ${code}`))));
        }),
    ),
  );
  const results = lines.map((line) => JSON.parse(line) as { stepsPerSec: number });
  for (const line of lines) console.log(line);
  console.log(
    JSON.stringify({ what: 'ppo-train-parallel', method: flag('--method', 'scale'), N: 16, runs, stepsPerSec: results.reduce((a, r) => a + r.stepsPerSec, 0), perRun: results.map((r) => r.stepsPerSec) }),
  );
  process.exit(0);
}
const backend = await useBackend(flag('--backend', 'wasm'));
const nodes = 16;
const method = resolveMethod(flag('--method', 'scale'));
if (method.agent === 'dagger') {
  const vector = new VectorEnv(4, { nodes, invalidAction: 'mask', ...method.env });
  const expert = new RolloutExpert({ bases: ['sjf', 'eft', 'mct'] });
  const agent = new DAgger(vector, method, { seed: 42, mask: true, expert: expert.forEnvs(vector) });
  await agent.learn({ epochs: 1 }); // JIT and wasm warm-up
  const start = performance.now();
  const stepsBefore = agent.globalStep;
  let labels = 0;
  let expertSeconds = 0;
  const record = (m: { readonly [key: string]: unknown }): void => {
    labels += m.labels as number;
    expertSeconds += (m.labels as number) / (m.labelsPerSec as number);
  };
  await agent.learn({ epochs: epochs + 1, callbacks: [{ onEpoch: (m) => void record(m) }] });
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      what: 'dagger-train',
      method: flag('--method', 'scale-il'),
      backend,
      N: nodes,
      epochs,
      stepsPerSec: Math.round((agent.globalStep - stepsBefore) / seconds),
      labelsPerSec: Math.round(labels / expertSeconds),
      expertShare: Number((expertSeconds / seconds).toFixed(2)),
    }),
  );
  agent.dispose();
  process.exit(0);
}
const taskAndServer = method.env?.actions === 'task-and-server';
const candidates = Number(flag('--candidates', String(method.env?.candidates ?? 8)));
const synthetic = taskAndServer && flag('--env', 'vector') === 'synthetic';
const globalFeatures = 4;
const weights = N16_CANDIDATES.slice(0, candidates);
weights[candidates - 1] = N16_CANDIDATES.slice(candidates - 1).reduce((a, b) => a + b, 0);
const env: VecEnvLike = synthetic
  ? new PairBanditVecEnv(4, { servers: nodes, candidates, defer: method.env?.defer === true, globalFeatures, pairs: true, length: 256, seed: 42, candidateWeights: weights })
  : new VectorEnv(4, { nodes, ...(method.env === undefined ? {} : { invalidAction: 'mask' as const, ...method.env, candidates }) });
// The simulator's env: the method's layout (methodModelLayout); the synthetic one: its own widths.
const model = synthetic
  ? { taskFeatures: 5, serverFeatures: 5, actions: 'task-and-server' as const, defer: method.env?.defer === true, globalFeatures, pairFeatures: 1 as const, candidates }
  : taskAndServer
    ? { candidates }
    : {};
const updateThreads = Number(flag('--update-threads', '1'));
const agent = new PPO(env, method, { seed: 42, mask: method.env !== undefined, updateThreads, model, config: { updateEpochs: Number(flag('--update-epochs', '8')), minibatchSize: Number(flag('--minibatch', '256')) } });
// The first epoch warms up JIT and wasm; measure the rest.
await agent.learn({ epochs: 1 });
const cpuStart = process.cpuUsage();
const start = performance.now();
const stepsBefore = agent.globalStep;
const rates: number[] = [];
await agent.learn({ epochs: epochs + 1, callbacks: [{ onEpoch: (m) => void rates.push(m.stepsPerSec) }] });
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const steps = agent.globalStep - stepsBefore;
console.log(
  JSON.stringify({
    what: 'ppo-train',
    method: flag('--method', 'scale'),
    backend,
    N: nodes,
    minibatch: Number(flag('--minibatch', '256')),
    updateThreads,
    epochs,
    steps,
    ...(taskAndServer ? { env: synthetic ? 'synthetic' : 'simulator', candidates } : {}),
    stepsPerSec: Math.round(steps / seconds),
    cpuStepsPerSec: Math.round(steps / ((cpu.user + cpu.system) / 1e6)),
    perEpochStepsPerSec: rates.map((r) => Math.round(r)),
  }),
);
agent.dispose();
