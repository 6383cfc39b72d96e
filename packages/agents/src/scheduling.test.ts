import { makeEnv, type EnvConfigInput, VectorEnv } from '@scale/env';
import { useBackend } from '@scale/model';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from './base-agent.js';
import { DQN } from './dqn.js';
import { resolveMethod } from './method.js';
import { PPO } from './ppo.js';
import { SAC } from './sac.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/**
 * Two servers, a large one (4 GFLOPS) and a slow one (1 GFLOPS), under light load so both are
 * usually free, in mask mode: the large one is always right (the reward is exp(-t_exec / T0), and the
 * slow one takes 4x longer), so the optimum is the `fastest` heuristic.
 */
const config: EnvConfigInput = {
  nodes: 2,
  servers: [
    { id: 0, tier: 'large', compute: 4, memory: 80, idlePower: 80, busyPower: 400 },
    { id: 1, tier: 'slow', compute: 1, memory: 80, idlePower: 10, busyPower: 50 },
  ],
  horizon: 30,
  arrivalRate: 0.1,
  drain: true,
  invalidAction: 'mask',
};
const EVAL_SEEDS = [1000, 1001, 1002, 1003, 1004, 1005];

/** Mean episode return over the evaluation seeds of a policy choosing an action per observation. */
function meanReturn(choose: (obs: ReturnType<ReturnType<typeof makeEnv>['reset']>['obs'], env: ReturnType<typeof makeEnv>) => number): number {
  let total = 0;
  for (const seed of EVAL_SEEDS) {
    const env = makeEnv(config);
    let { obs } = env.reset({ seed });
    for (;;) {
      const step = env.step(choose(obs, env));
      total += step.reward;
      if (step.terminated || step.truncated) break;
      obs = step.obs;
    }
  }
  return total / EVAL_SEEDS.length;
}

/** `fastest`: the valid server with the most compute (feature 0 is C_j / C_max). */
const fastest = meanReturn((obs) => {
  let best = -1;
  for (let j = 0; j < obs.n; j++) if (obs.mask[j] === 1 && (best < 0 || obs.servers[j * 5]! > obs.servers[best * 5]!)) best = j;
  return best;
});

const train = async (agent: Agent, epochs: number) => {
  await agent.learn({ epochs });
  return meanReturn((obs) => agent.act([obs], { deterministic: true })[0]!);
};

describe('learning on a two-server scheduling env with a known optimum', () => {
  it('the optimum is well above alternating between the valid servers', () => {
    const alternating = meanReturn((obs, env) => {
      const valid = [...obs.mask.keys()].filter((j) => obs.mask[j] === 1);
      return valid[env.simulation.decisions % valid.length]!;
    });
    expect(fastest).toBeGreaterThan(1.1 * alternating); // and 95% of the optimum is above alternating
  });

  it('PPO (scale) reaches at least 95 percent of the optimal return', async () => {
    const agent = new PPO(new VectorEnv(4, config), resolveMethod('scale'), { seed: 1, mask: true, config: { stepsPerEnv: 64, minibatchSize: 64, learningRate: 1e-3, lrSchedule: 'constant' } });
    expect(await train(agent, 25)).toBeGreaterThanOrEqual(0.95 * fastest);
    agent.dispose();
  });

  it('DQN reaches at least 95 percent of the optimal return', async () => {
    const agent = new DQN(new VectorEnv(4, config), resolveMethod('dqn'), {
      seed: 1,
      mask: true,
      config: { stepsPerEnv: 64, learningStarts: 128, batchSize: 32, trainFrequency: 1, targetUpdateInterval: 256, learningRate: 1e-3, explorationFraction: 0.3 },
      model: { servers: 2 },
    });
    expect(await train(agent, 12)).toBeGreaterThanOrEqual(0.95 * fastest);
    agent.dispose();
  });

  it('SAC reaches at least 95 percent of the optimal return', async () => {
    const agent = new SAC(new VectorEnv(4, config), resolveMethod('sac'), {
      seed: 1,
      mask: true,
      config: { stepsPerEnv: 64, learningStarts: 128, batchSize: 32, trainFrequency: 1, learningRate: 1e-3 },
      model: { servers: 2 },
    });
    expect(await train(agent, 12)).toBeGreaterThanOrEqual(0.95 * fastest);
    agent.dispose();
  });
});
