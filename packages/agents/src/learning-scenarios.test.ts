import { fileURLToPath } from 'node:url';
import { type ObservationLike, useBackend } from '@scale/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ScenarioEnvOptions, ScenarioVecEnv, greedyEpisode } from './internal/scenario-env.js';
import { resolveMethod } from './method.js';
import { PPO } from './ppo.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// Issue 14's learning tests: hand-built scenarios (explicit servers and workflows) where the
// response-time reward has a known optimum that no fixed rule reaches. PPO trains with fixed seeds;
// the assertions are on the greedy policy's schedule after training.

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}.scenario.json`, import.meta.url));
const TRAIN = { stepsPerEnv: 32, minibatchSize: 64, updateEpochs: 4, learningRate: 3e-3, lrSchedule: 'constant', discount: 'per-second' } as const;

describe('waiting for a faster server (response-time reward, defer)', () => {
  // Two servers, 10 and 1 GFLOPS; two single-task workflows arrive at t = 0, the first takes the fast
  // server, the second (2 GFLOP) is decided while it is busy. In `wait-pays` the fast server frees in
  // 0.2 s: waiting (done at 0.4 s) beats the slow server (2 s). In `wait-costs` it frees in 10 s: the
  // slow server (2 s) beats waiting (10.2 s). The same PPO, trained on each, must wait in the first
  // and not in the second: a rule that always waits, or never waits, fails one of them.
  const scenario = (name: string): ScenarioEnvOptions => ({ scenario: fixture(name), horizon: 5, actions: 'server', defer: true });
  const pays = scenario('wait-pays');
  const costs = scenario('wait-costs');
  const FAST = 0;
  const SLOW = 1;
  const DEFER = 2;
  /** The fast server if it is free, else defer (always) or the slow server (never). */
  const rule = (wait: boolean) => (obs: ObservationLike) => (obs.mask[FAST] === 1 ? FAST : wait && obs.mask[DEFER] === 1 ? DEFER : SLOW);

  it('always waiting fails one scenario, never waiting the other', () => {
    expect(greedyEpisode(pays, rule(true)).meanResponseTime).toBeCloseTo(0.3, 9);
    expect(greedyEpisode(pays, rule(false)).meanResponseTime).toBeCloseTo(1.1, 9);
    expect(greedyEpisode(costs, rule(true)).meanResponseTime).toBeCloseTo(10.1, 9);
    expect(greedyEpisode(costs, rule(false)).meanResponseTime).toBeCloseTo(6, 9);
  });

  it.each([
    ['wait-pays', pays, DEFER, 0.3],
    ['wait-costs', costs, SLOW, 6],
  ] as const)('PPO trained on %s makes the optimal choice with the fast server busy', async (_name, options, choice, optimum) => {
    const agent = new PPO(new ScenarioVecEnv(4, options), resolveMethod('scale'), { seed: 1, mask: true, config: TRAIN, model: { defer: true } });
    await agent.learn({ epochs: 15 });
    const episode = greedyEpisode(options, (obs) => agent.act([obs], { deterministic: true })[0] as number);
    const fastBusy = episode.decisions.filter((d) => d.obs.mask[FAST] === 0);
    expect(fastBusy.map((d) => d.action)).toEqual([choice]);
    expect(episode.meanResponseTime).toBeCloseTo(optimum, 9);
    agent.dispose();
  });
});

describe('ordering ready tasks (response-time reward, task-and-server actions)', () => {
  // One 1 GFLOPS server; three single-task workflows arrive together at t = 0 (2, 4, 1 GFLOP, in
  // level-1 order) and three at t = 20 (3, 1, 5). Shortest first is optimal: mean response time
  // 25/6 s; the level-1 order (always candidate 0) gives 31/6 s, always the last candidate 33/6 s.
  const options: ScenarioEnvOptions = { scenario: fixture('shortest-first'), horizon: 30, actions: 'task-and-server', defer: false, candidates: 4 };

  it('no positional rule is shortest-first', () => {
    expect(greedyEpisode(options, () => 0).meanResponseTime).toBeCloseTo(31 / 6, 9);
    expect(greedyEpisode(options, (obs) => (obs.k ?? 1) - 1).meanResponseTime).toBeCloseTo(33 / 6, 9);
  });

  it('PPO learns to run the shortest ready task first', async () => {
    const agent = new PPO(new ScenarioVecEnv(4, options), resolveMethod('crossattn-rt'), { seed: 2, mask: true, config: TRAIN, model: { defer: false } });
    await agent.learn({ epochs: 30 });
    const episode = greedyEpisode(options, (obs) => agent.act([obs], { deterministic: true })[0] as number);
    // Every choice among several candidates takes the one with the least compute (task feature 0).
    for (const { obs, action } of episode.decisions) {
      const computes = Array.from({ length: obs.k ?? 1 }, (_, c) => (obs.tasks as Float32Array)[c * 5] as number);
      expect(computes[Math.floor(action / obs.n)]).toBe(Math.min(...computes));
    }
    expect(episode.meanResponseTime).toBeCloseTo(25 / 6, 9);
    agent.dispose();
  });
});
