import { fileURLToPath } from 'node:url';
import { type EnvConfigInput, makeEnv, VectorEnv } from '@scale/env';
import { type ObservationLike, useBackend } from '@scale/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyObservation } from './internal/observations.js';
import { type Method, resolveMethod } from './method.js';
import { PPO } from './ppo.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// learning-scenarios.test.ts's hand-built scenarios, trained with the input-driven baseline: the
// same settings, seeds and epochs, `baseline: 'input-driven'` added. An epoch is one episode per env
// there (a few decisions each), not 32 steps per env.

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}.scenario.json`, import.meta.url));
const TRAIN = { stepsPerEnv: 32, minibatchSize: 64, updateEpochs: 4, learningRate: 3e-3, lrSchedule: 'constant', baseline: 'input-driven' } as const;
const envConfig = (name: string, horizon: number, method: Method): EnvConfigInput => ({ scenario: fixture(name), horizon, drain: true, invalidAction: 'mask', ...method.env });

/** One greedy episode of `choose`: its mean response time and each decision's observation and action. */
function episode(config: EnvConfigInput, choose: (obs: ObservationLike) => number) {
  const env = makeEnv(config);
  let { obs } = env.reset({ seed: 0 });
  const decisions: { obs: ObservationLike; action: number }[] = [];
  for (;;) {
    const action = choose(obs);
    decisions.push({ obs: copyObservation(obs), action });
    const step = env.step(action);
    if (step.terminated || step.truncated) return { meanResponseTime: step.info.episode?.meanResponseTime as number, outcome: step.info.episode?.outcome, decisions };
    ({ obs } = step);
  }
}

describe('the hand-built scenarios with the input-driven baseline', () => {
  const waitMethod = resolveMethod({
    agent: 'ppo',
    encoder: 'cross-attention',
    srr: {},
    env: { objective: 'response-time', observation: 'queue-aware', actions: 'server', defer: true },
    discount: 'per-second',
  });
  const FAST = 0;
  const SLOW = 1;
  const DEFER = 2;

  it.each([
    ['wait-pays', DEFER, 0.3],
    ['wait-costs', SLOW, 6],
  ] as const)('PPO trained on %s makes the optimal choice with the fast server busy', async (name, choice, optimum) => {
    const config = envConfig(name, 5, waitMethod);
    const agent = new PPO(new VectorEnv(4, config), waitMethod, { seed: 1, mask: true, config: TRAIN });
    await agent.learn({ epochs: 15 });
    const greedy = episode(config, (obs) => agent.act([obs], { deterministic: true })[0] as number);
    const fastBusy = greedy.decisions.filter((d) => d.obs.mask[FAST] === 0);
    expect(fastBusy.map((d) => d.action)).toEqual([choice]);
    expect(greedy.outcome).toBe('terminated');
    expect(greedy.meanResponseTime).toBeCloseTo(optimum, 9);
    agent.dispose();
  });

  it('PPO (crossattn-rt) learns to run the shortest ready task first', async () => {
    const method = resolveMethod('crossattn-rt');
    const config = envConfig('shortest-first', 30, method);
    const agent = new PPO(new VectorEnv(4, config), method, { seed: 2, mask: true, config: TRAIN });
    await agent.learn({ epochs: 30 });
    const greedy = episode(config, (obs) => agent.act([obs], { deterministic: true })[0] as number);
    // Every choice takes the candidate with the least compute (task feature 0), never defer.
    for (const { obs, action } of greedy.decisions) {
      const k = obs.k ?? 1;
      const tasks = obs.tasks as Float32Array;
      expect(action).toBeLessThan(k * obs.n);
      const computes = Array.from({ length: k }, (_, c) => tasks[(c * tasks.length) / k] as number);
      expect(computes[Math.floor(action / obs.n)]).toBe(Math.min(...computes));
    }
    expect(greedy.meanResponseTime).toBeCloseTo(25 / 6, 9);
    agent.dispose();
  });
});
