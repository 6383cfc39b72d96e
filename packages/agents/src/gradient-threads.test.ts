import * as tf from '@tensorflow/tfjs';
import { VectorEnv } from '@scale/env';
import { Network, batchObservations, batchTensors, maskLogits, packTensors, useBackend } from '@scale/model';
import { resolveSrrConfig, srrLoss } from '@scale/srr';
import { Rng } from '@scale/workload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradientThreads } from './gradient-threads.js';
import { BanditVecEnv } from './internal/bandit-env.js';
import type { ShardArrays } from './internal/shard-channel.js';
import { resolveMethod } from './method.js';
import { PPO, type PpoShardSettings, ppoLoss, ppoShardGradients } from './ppo.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** A random minibatch of `rows` N = `n` observations with PPO targets. */
function minibatch(seed: number, rows: number, n: number) {
  const rng = new Rng(seed);
  const observations = Array.from({ length: rows }, () => ({
    task: Float32Array.from({ length: 5 }, () => rng.normal(0, 1)),
    servers: Float32Array.from({ length: n * 5 }, () => rng.uniform(0, 2)),
    mask: Uint8Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.8 ? 1 : 0)),
    n,
  }));
  // The behaviour policy only takes valid actions.
  const actions = Int32Array.from(observations, (obs) => {
    const action = rng.int(0, n - 1);
    obs.mask[action] = 1;
    return action;
  });
  return {
    observations,
    actions,
    oldLogProbs: Float32Array.from({ length: rows }, () => rng.uniform(-4, -1)),
    advantages: Float32Array.from({ length: rows }, () => rng.normal(0, 1)),
    returns: Float32Array.from({ length: rows }, () => rng.normal(1, 1)),
  };
}

function shardOf(data: ReturnType<typeof minibatch>, from: number, to: number, total: number): ShardArrays {
  return {
    batch: batchObservations(data.observations.slice(from, to)),
    actions: data.actions.slice(from, to),
    oldLogProbs: data.oldLogProbs.slice(from, to),
    advantages: data.advantages.slice(from, to),
    returns: data.returns.slice(from, to),
    weight: to - from === total ? 1 : (to - from) / total,
  };
}

const packedParameters = (network: Network): Float32Array => {
  const variables = network.trainableVariables();
  const out = new Float32Array(variables.reduce((a, v) => a + v.size, 0));
  let at = 0;
  for (const v of variables) {
    out.set(v.dataSync() as Float32Array, at);
    at += v.size;
  }
  return out;
};

describe('data-parallel gradients (GradientThreads)', () => {
  const network = new Network({ seed: 5 });
  const settings: PpoShardSettings = { clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, mask: true, srr: resolveSrrConfig(), epoch: 40 };
  const { epoch, ...shared } = settings;
  const pools: GradientThreads[] = [];
  afterAll(() => {
    for (const pool of pools) pool.dispose();
    network.dispose();
  });

  it.each([2, 3])('sum %i shards to the minibatch gradient, SRR on the whole minibatch', (threads) => {
    const rows = 60;
    const data = minibatch(threads, rows, 8);
    const whole = ppoShardGradients(network, shardOf(data, 0, rows, rows), settings, null);
    const pool = new GradientThreads(network, threads, shared);
    pools.push(pool);
    const cuts = Array.from({ length: threads + 1 }, (_, s) => Math.floor((s * rows) / threads));
    const shards = cuts.slice(0, -1).map((from, s) => shardOf(data, from, cuts[s + 1] as number, rows));
    const split = pool.compute(shards, epoch, packedParameters(network));
    const scale = whole.gradients.reduce((a, g) => Math.max(a, Math.abs(g)), 0);
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < whole.gradients.length; i++) expect(Math.abs((split.gradients[i] as number) - (whole.gradients[i] as number))).toBeLessThan(1e-4 * scale);
    // Diagnostics: PPO terms add up over shards; SRR terms are the minibatch's (and nonzero at epoch 40).
    for (let i = 0; i < 10; i++) expect(Math.abs((split.diagnostics[i] as number) - (whole.diagnostics[i] as number))).toBeLessThan(1e-5 * Math.max(1, Math.abs(whole.diagnostics[i] as number)));
    expect(whole.diagnostics[6]).toBeGreaterThan(0);
    // The same shards give the same sum, bit for bit.
    const again = pool.compute(shards, epoch, packedParameters(network));
    expect(Buffer.from(again.gradients.buffer).equals(Buffer.from(split.gradients.buffer))).toBe(true);
  });

  it("give, on one thread, the gradient of ppoLoss + srrLoss by tfjs's own autodiff on cpu", async () => {
    // The fast path (SCALE-TS's wasm kernels, the loss computed off the tape) against the plain
    // definition: tensor losses, tfjs's kernels and tape.
    const rows = 48;
    const shard = shardOf(minibatch(9, rows, 8), 0, rows, rows);
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

  it('take the parameters they are given, not the network they were built from', () => {
    const data = minibatch(9, 20, 4);
    const shards = [shardOf(data, 0, 10, 20), shardOf(data, 10, 20, 20)];
    const pool = new GradientThreads(network, 2, shared);
    pools.push(pool);
    const params = packedParameters(network);
    const before = pool.compute(shards, epoch, params);
    const after = pool.compute(shards, epoch, params.map((p) => p * 1.5));
    // This thread's copy is unchanged, so a different sum can only come from the worker's shard.
    expect(after.gradients.some((g, i) => Math.abs(g - (before.gradients[i] as number)) > 1e-6)).toBe(true);
    expect(pool.compute(shards, epoch, params).gradients).toEqual(before.gradients);
  });
});

describe('PPO with updateThreads', () => {
  const small = { stepsPerEnv: 32, minibatchSize: 32, updateEpochs: 2 } as const;

  it('trains bit for bit the same twice, close to one thread, and leaks no tensors', async () => {
    const run = async (updateThreads: number) => {
      const agent = new PPO(new BanditVecEnv(2, 5, 1), resolveMethod('scale'), { seed: 11, mask: false, config: small, updateThreads });
      await agent.learn({ epochs: 1 });
      const before = tf.memory().numTensors;
      const { last } = await agent.learn({ epochs: 3 });
      expect(tf.memory().numTensors).toBe(before);
      agent.act([VectorEnv.view(new BanditVecEnv(1, 5, 1).reset().obs, 0)]);
      const weights = agent.network.params.read();
      agent.dispose();
      return { last, weights };
    };
    const a = await run(2);
    const b = await run(2);
    for (const [name, values] of a.weights) expect(Buffer.from(values.buffer).equals(Buffer.from(b.weights.get(name)!.buffer))).toBe(true);
    const single = await run(1);
    expect(a.last!.policyLoss).toBeCloseTo(single.last!.policyLoss as number, 2);
    expect(a.last!.entropy).toBeCloseTo(single.last!.entropy as number, 2);
  });

  it('names a bad thread count', () => {
    expect(() => new PPO(new BanditVecEnv(1, 3, 1), resolveMethod('scale'), { seed: 1, mask: false, updateThreads: 0 })).toThrow(/updateThreads: expected an integer in \[1, 64\], received 0/);
  });
});
