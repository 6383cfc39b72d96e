/**
 * Test support: a tiny resumable training run (PPO, `scale`, mask mode, N = 3), the way
 * `scale train` drives one: resume from `outDir/checkpoint` when there is one, else start over.
 * Run as a script (`node --import tsx tiny-training-run.ts <outDir>`), it prints `epoch <e>` after
 * each epoch (its row logged, its checkpoint written) and waits for a line on stdin before going
 * on, so the kill-and-resume test places its kills at epoch ends or a chosen time after them.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { VectorEnv } from '@scale/env';
import { useBackend } from '@scale/model';
import type { Callback } from '../callbacks.js';
import { recoverCheckpoint } from '../checkpoint-swap.js';
import { resolveMethod } from '../method.js';
import { PPO } from '../ppo.js';

export const TINY_RUN = { epochs: 9, checkpointEvery: 3 } as const;

export async function tinyTrainingRun(outDir: string, callbacks: readonly Callback[] = []): Promise<void> {
  const env = new VectorEnv(2, { nodes: 3, horizon: 15, arrivalRate: 0.25, drain: true, invalidAction: 'mask' });
  const agent = new PPO(env, resolveMethod('scale'), { seed: 5, mask: true, config: { stepsPerEnv: 16, minibatchSize: 16, updateEpochs: 2 } });
  try {
    if (await recoverCheckpoint(join(outDir, 'checkpoint'))) await agent.load(join(outDir, 'checkpoint'));
    await agent.learn({ ...TINY_RUN, outDir, callbacks });
  } finally {
    agent.dispose();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2];
  if (outDir === undefined) throw new Error('usage: tiny-training-run.ts <outDir>');
  await useBackend('wasm');
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await tinyTrainingRun(outDir, [
    {
      onEpoch: async (m) => {
        process.stdout.write(`epoch ${m.epoch}\n`);
        await lines.next();
        return undefined;
      },
    },
  ]);
  process.exit(0);
}
