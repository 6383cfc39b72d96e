import * as tf from '@tensorflow/tfjs';
import { batchObservations, useBackend } from '@scale/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { BanditVecEnv, greedyBanditReturn } from './internal/bandit-env.js';
import { VectorEnv } from '@scale/env';
import { resolveMethod } from './method.js';
import { PPO } from './ppo.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const small = { stepsPerEnv: 32, minibatchSize: 32, updateEpochs: 4, learningRate: 3e-3, lrSchedule: 'constant' } as const;

describe('PPO', () => {
  it.each([
    ['scale', false],
    ['crossattn', true],
    ['ppo', false],
    ['ppo-srr', true],
  ] as const)('%s learns a bandit to at least 95 percent of the optimal return (mask mode: %s)', async (preset, mask) => {
    const env = new BanditVecEnv(4, 6, 4, 4, mask ? [5] : []);
    const agent = new PPO(env, resolveMethod(preset), { seed: 1, mask, config: small, model: { servers: 6 } });
    await agent.learn({ epochs: 40 });
    const obs = env.reset().obs;
    const greedy = agent.act([VectorEnv.view(obs, 0)], { deterministic: true });
    expect(greedy[0]).toBe(4);
    expect(greedyBanditReturn(agent, env)).toBeGreaterThanOrEqual(0.95 * 4);
    // PPO's behaviour policy gets there too.
    const summary = await agent.learn({ epochs: 45 });
    expect(summary.last!.meanEpisodeReturn).toBeGreaterThanOrEqual(0.95 * 4);
    agent.dispose();
  });

  it('same seed, same first updates, bit for bit', async () => {
    const run = async () => {
      const agent = new PPO(new BanditVecEnv(2, 5, 1), resolveMethod('scale'), { seed: 7, mask: false, config: small });
      const { last } = await agent.learn({ epochs: 2 });
      const weights = agent.network.params.read();
      agent.dispose();
      return { last, weights };
    };
    const a = await run();
    const b = await run();
    const { stepsPerSec: _a, ...restA } = a.last!;
    const { stepsPerSec: _b, ...restB } = b.last!;
    expect(restA).toEqual(restB);
    for (const [name, values] of a.weights) expect(Buffer.from(values.buffer).equals(Buffer.from(b.weights.get(name)!.buffer))).toBe(true);
  });

  it('keeps the tensor count stable across epochs', async () => {
    const agent = new PPO(new BanditVecEnv(2, 5, 1), resolveMethod('scale'), { seed: 3, mask: false, config: small });
    await agent.learn({ epochs: 1 });
    const before = tf.memory().numTensors;
    await agent.learn({ epochs: 4 });
    agent.act([VectorEnv.view(new BanditVecEnv(1, 5, 1).reset().obs, 0)]);
    agent.network.predict(batchObservations([VectorEnv.view(new BanditVecEnv(1, 5, 1).reset().obs, 0)]));
    expect(tf.memory().numTensors).toBe(before);
    agent.dispose();
  });
});
