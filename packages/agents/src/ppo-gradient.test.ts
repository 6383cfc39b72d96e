import * as tf from '@tensorflow/tfjs';
import { Network, batchTensors, maskLogits, packTensors, useBackend } from '@scale/model';
import { resolveSrrConfig, srrLoss } from '@scale/srr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomMinibatch, shardOf } from './internal/random-minibatch.js';
import { type PpoShardSettings, ppoShardGradients } from './ppo-gradient.js';
import { ppoLoss } from './ppo-loss.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the fast training gradient (ppoShardGradients)', () => {
  const network = new Network({ seed: 5 });
  const settings: PpoShardSettings = { clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, mask: true, srr: resolveSrrConfig(), epoch: 40 };
  const { epoch } = settings;
  afterAll(() => {
    network.dispose();
  });

  it("give, on one thread, the gradient of ppoLoss + srrLoss by tfjs's own autodiff on cpu", async () => {
    // The fast path (SCALE-TS's wasm kernels, the loss computed off the tape) against the plain
    // definition: tensor losses, tfjs's kernels and tape.
    const rows = 48;
    const shard = shardOf(randomMinibatch(9, rows, 8), 0, rows, rows);
    const fast = ppoShardGradients(network, shard, settings, null).gradients;
    await useBackend('cpu');
    try {
      const variables = network.trainableVariables();
      const reference = tf.tidy(() => {
        const input = batchTensors(shard.batch);
        const { grads } = tf.variableGrads(() => {
          const out = network.apply(input);
          const terms = ppoLoss({
            logits: maskLogits(out.logits as tf.Tensor2D, input.mask),
            actionOneHot: tf.oneHot(tf.tensor1d(shard.actions, 'int32'), 8) as tf.Tensor2D,
            oldLogProb: tf.tensor1d(shard.oldLogProbs),
            advantage: tf.tensor1d(shard.advantages),
            value: out.value as tf.Tensor1D,
            target: tf.tensor1d(shard.returns),
            clipCoef: settings.clipCoef,
            entCoef: settings.entCoef,
            vfCoef: settings.vfCoef,
          });
          return tf.add(terms.loss, srrLoss(out.feature, epoch, settings.srr as NonNullable<PpoShardSettings['srr']>).total) as tf.Scalar;
        }, variables);
        return tf.tensor1d(packTensors(variables.map((v) => grads[v.name] as tf.Tensor)));
      });
      const expected = reference.dataSync();
      reference.dispose();
      let scale = 0;
      for (const g of expected) scale = Math.max(scale, Math.abs(g));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < expected.length; i++) expect(Math.abs((fast[i] as number) - (expected[i] as number))).toBeLessThan(1e-4 * scale);
    } finally {
      await useBackend('wasm');
    }
  });
});
