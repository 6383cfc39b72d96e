import * as tf from '@tensorflow/tfjs';
import { VectorEnv } from '@scale/env';
import { Network, useBackend } from '@scale/model';
import { resolveSrrConfig } from '@scale/srr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradientThreads } from './gradient-threads.js';
import { BanditVecEnv } from './internal/bandit-env.js';
import { expectSplitMatchesWhole, packedParameters, randomMinibatch, shardOf, wholeAndSplit } from './internal/random-minibatch.js';
import { resolveMethod } from './method.js';
import { PPO } from './ppo.js';
import type { PpoShardSettings } from './ppo-gradient.js';

beforeAll(async () => {
  await useBackend('wasm');
});

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
    const data = randomMinibatch(threads, rows, 8);
    const pool = new GradientThreads(network, threads, shared);
    pools.push(pool);
    const { whole, shards, split } = wholeAndSplit(network, pool, threads, data, rows, settings);
    // Diagnostics: PPO terms add up over shards; SRR terms are the minibatch's (and nonzero at epoch 40).
    expectSplitMatchesWhole(whole, split);
    expect(Object.keys(whole.diagnostics)).toHaveLength(10);
    expect(whole.diagnostics.srrDecorrelation).toBeGreaterThan(0);
    // The same shards give the same sum, bit for bit.
    const again = pool.compute(shards, epoch, packedParameters(network));
    expect(Buffer.from(again.gradients.buffer).equals(Buffer.from(split.gradients.buffer))).toBe(true);
  });

  it('take the parameters they are given, not the network they were built from', () => {
    const data = randomMinibatch(9, 20, 4);
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
