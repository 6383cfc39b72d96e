import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@scale/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { DQN, huber } from './dqn.js';
import { BanditVecEnv, greedyBanditReturn } from './internal/bandit-env.js';
import { VectorEnv } from '@scale/env';
import { resolveMethod } from './method.js';
import { SAC } from './sac.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const dqnConfig = { stepsPerEnv: 32, learningStarts: 64, batchSize: 32, trainFrequency: 1, targetUpdateInterval: 64, learningRate: 1e-3, explorationFraction: 0.3, bufferSize: 5000 } as const;
const sacConfig = { stepsPerEnv: 32, learningStarts: 64, batchSize: 32, trainFrequency: 1, learningRate: 1e-3, bufferSize: 5000 } as const;

describe('DQN', () => {
  it.each([
    ['dqn', false, 1],
    ['dqn-crossattn', true, 1],
    ['dqn', true, 3],
  ] as const)('%s learns a bandit to at least 95 percent of the optimum (mask mode %s, n-step %i)', async (preset, mask, nStep) => {
    const env = new BanditVecEnv(4, 5, 3, 4, mask ? [4] : []);
    const agent = new DQN(env, resolveMethod(preset), { seed: 2, mask, config: { ...dqnConfig, nStep }, model: { servers: 5 } });
    await agent.learn({ epochs: 25 });
    const greedy = agent.act([VectorEnv.view(env.reset().obs, 0)], { deterministic: true });
    expect(greedy[0]).toBe(3);
    expect(greedyBanditReturn(agent, env)).toBeGreaterThanOrEqual(0.95 * 4);
    agent.dispose();
  });

  it('Huber loss is quadratic inside delta and linear outside', () => {
    const value = tf.tidy(() => huber(tf.tensor1d([0.5, -3]), 1).dataSync()[0]);
    expect(value).toBeCloseTo((0.125 + 2.5) / 2, 6);
  });
});

describe('SAC (discrete)', () => {
  it.each([
    ['sac', false],
    ['sac-crossattn', true],
  ] as const)('%s learns a bandit to at least 95 percent of the optimum (mask mode %s)', async (preset, mask) => {
    const env = new BanditVecEnv(4, 5, 2, 4, mask ? [0] : []);
    const config = preset === 'sac' ? sacConfig : { ...sacConfig, trainFrequency: 2 };
    const agent = new SAC(env, resolveMethod(preset), { seed: 3, mask, config, model: { servers: 5 } });
    await agent.learn({ epochs: 15 });
    // SAC's behaviour policy keeps the target entropy by design; its greedy policy is what is evaluated.
    expect(agent.act([VectorEnv.view(env.reset().obs, 0)], { deterministic: true })[0]).toBe(2);
    expect(greedyBanditReturn(agent, env)).toBeGreaterThanOrEqual(0.95 * 4);
    agent.dispose();
  });
});
