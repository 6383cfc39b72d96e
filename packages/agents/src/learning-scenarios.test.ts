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

// Issue 14's learning tests: hand-built scenarios (explicit servers and workflows, `fixtures/`) run
// by @scale/env with the method's settings, where the response-time reward has a known optimum that
// no fixed rule reaches. PPO trains with fixed seeds; the assertions are on the greedy policy's
// schedule after training.

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}.scenario.json`, import.meta.url));
const TRAIN = { stepsPerEnv: 32, minibatchSize: 64, updateEpochs: 4, learningRate: 3e-3, lrSchedule: 'constant' } as const;

/** The env config of a scenario under a method's env settings (drained, mask mode). */
const envConfig = (name: string, horizon: number, method: Method): EnvConfigInput => ({ scenario: fixture(name), horizon, drain: true, invalidAction: 'mask', ...method.env });

/** One greedy episode of `choose`: its mean response time and each decision (observation, action, time). */
function episode(config: EnvConfigInput, choose: (obs: ObservationLike) => number) {
  const env = makeEnv(config);
  let { obs, info } = env.reset({ seed: 0 });
  const decisions: { obs: ObservationLike; action: number; time: number }[] = [];
  for (;;) {
    const action = choose(obs);
    decisions.push({ obs: copyObservation(obs), action, time: info.time });
    const step = env.step(action);
    if (step.terminated || step.truncated) return { meanResponseTime: step.info.episode?.meanResponseTime as number, outcome: step.info.episode?.outcome, decisions };
    ({ obs, info } = step);
  }
}

describe('waiting for a faster server (response-time reward, defer)', () => {
  // Two servers, 10 and 1 GFLOPS; two single-task workflows arrive at t = 0, the first takes the fast
  // server, the second (2 GFLOP) is decided while it is busy. In `wait-pays` the fast server frees in
  // 0.2 s: waiting (done at 0.4 s) beats the slow server (2 s). In `wait-costs` it frees in 10 s: the
  // slow server (2 s) beats waiting (10.2 s). The same PPO, trained on each, must wait in the first
  // and not in the second: a rule that always waits, or never waits, fails one of them.
  const method = resolveMethod({
    agent: 'ppo',
    encoder: 'cross-attention',
    srr: {},
    env: { objective: 'response-time', observation: 'queue-aware', actions: 'server', defer: true },
    discount: 'per-second',
  });
  const pays = envConfig('wait-pays', 5, method);
  const costs = envConfig('wait-costs', 5, method);
  const FAST = 0;
  const SLOW = 1;
  const DEFER = 2;
  /** The fast server if it is free, else defer (always) or the slow server (never). */
  const rule = (wait: boolean) => (obs: ObservationLike) => (obs.mask[FAST] === 1 ? FAST : wait && obs.mask[DEFER] === 1 ? DEFER : SLOW);

  it('always waiting fails one scenario, never waiting the other', () => {
    expect(episode(pays, rule(true)).meanResponseTime).toBeCloseTo(0.3, 9);
    expect(episode(pays, rule(false)).meanResponseTime).toBeCloseTo(1.1, 9);
    expect(episode(costs, rule(true)).meanResponseTime).toBeCloseTo(10.1, 9);
    expect(episode(costs, rule(false)).meanResponseTime).toBeCloseTo(6, 9);
  });

  it.each([
    ['wait-pays', pays, DEFER, 0.3],
    ['wait-costs', costs, SLOW, 6],
  ] as const)('PPO trained on %s makes the optimal choice with the fast server busy', async (_name, config, choice, optimum) => {
    const agent = new PPO(new VectorEnv(4, config), method, { seed: 1, mask: true, config: TRAIN });
    await agent.learn({ epochs: 15 });
    const greedy = episode(config, (obs) => agent.act([obs], { deterministic: true })[0] as number);
    const fastBusy = greedy.decisions.filter((d) => d.obs.mask[FAST] === 0);
    expect(fastBusy.map((d) => d.action)).toEqual([choice]);
    expect(greedy.outcome).toBe('terminated');
    expect(greedy.meanResponseTime).toBeCloseTo(optimum, 9);
    agent.dispose();
  });
});

describe('ordering ready tasks (response-time reward, task-and-server actions)', () => {
  // One 1 GFLOPS server; three single-task workflows arrive together at t = 0 (2, 4, 1 GFLOP, in
  // level-1 order) and three at t = 20 (3, 1, 5). Shortest first is optimal: mean response time
  // 25/6 s; the level-1 order (always candidate 0) gives 31/6 s, always the last candidate 33/6 s.
  // The method is the `crossattn-rt` preset as it is (queue-aware, defer available, cap 4).
  const method = resolveMethod('crossattn-rt');
  const config = envConfig('shortest-first', 30, method);

  it('no positional rule is shortest-first', () => {
    expect(episode(config, () => 0).meanResponseTime).toBeCloseTo(31 / 6, 9);
    expect(episode(config, (obs) => (obs.k ?? 1) - 1).meanResponseTime).toBeCloseTo(33 / 6, 9);
  });

  it('PPO learns to run the shortest ready task first', async () => {
    const agent = new PPO(new VectorEnv(4, config), method, { seed: 2, mask: true, config: TRAIN });
    await agent.learn({ epochs: 30 });
    const greedy = episode(config, (obs) => agent.act([obs], { deterministic: true })[0] as number);
    // Every choice takes the candidate with the least compute (task feature 0), never defer.
    for (const { obs, action } of greedy.decisions) {
      const k = obs.k ?? 1;
      expect(action).toBeLessThan(k * obs.n);
      const computes = Array.from({ length: k }, (_, c) => (obs.tasks as Float32Array)[c * (obs.tasks as Float32Array).length / k] as number);
      expect(computes[Math.floor(action / obs.n)]).toBe(Math.min(...computes));
    }
    expect(greedy.meanResponseTime).toBeCloseTo(25 / 6, 9);
    agent.dispose();
  });
});
