/**
 * `pnpm --filter @scale/agents bench`: trains `scale` (PPO, cross-attention, SRR) at N = 16 with the
 * paper's collect and update sizes (4 envs x 256 steps, 8 passes of minibatch 256) for a few epochs
 * and prints end-to-end env steps per second (simulation, rollout and update together), one JSON line.
 * Usage: bench.ts [--epochs E] [--backend wasm|cpu] [--method m] [--update-epochs k] [--minibatch B] [--update-threads T] [--runs R]
 *
 * `--runs R` (R > 1) trains R independent runs at once, one process each (how `scale reproduce` uses
 * the cores: a run per worker), and also prints their summed steps/s as `ppo-train-parallel`.
 */
import { spawn } from 'node:child_process';
import { VectorEnv } from '@scale/env';
import { useBackend } from '@scale/model';
import { PPO, resolveMethod } from '../src/index.js';

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
const env = new VectorEnv(4, { nodes });
const updateThreads = Number(flag('--update-threads', '1'));
const agent = new PPO(env, resolveMethod(flag('--method', 'scale')), { seed: 42, mask: false, updateThreads, config: { updateEpochs: Number(flag('--update-epochs', '8')), minibatchSize: Number(flag('--minibatch', '256')) } });
// The first epoch warms up JIT and wasm; measure the rest.
await agent.learn({ epochs: 1 });
const start = performance.now();
const stepsBefore = agent.globalStep;
const rates: number[] = [];
await agent.learn({ epochs: epochs + 1, callbacks: [{ onEpoch: (m) => void rates.push(m.stepsPerSec) }] });
const seconds = (performance.now() - start) / 1000;
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
    stepsPerSec: Math.round(steps / seconds),
    perEpochStepsPerSec: rates.map((r) => Math.round(r)),
  }),
);
agent.dispose();
