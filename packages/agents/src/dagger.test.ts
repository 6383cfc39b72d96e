import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type EnvConfigInput, RolloutExpert, VectorEnv } from '@scale/env';
import { type ObservationLike, useBackend } from '@scale/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAgger, type DaggerConfigInput } from './dagger.js';
import { DemonstrationBuffer } from './demonstration-buffer.js';
import { PairBanditVecEnv, type PairBanditOptions } from './internal/pair-bandit-env.js';
import { randomPairMinibatch } from './internal/random-minibatch.js';
import { resolveMethod } from './method.js';
import type { ExpertLike } from './types.js';

let dir = '';
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'scale-dagger-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MODEL = { taskFeatures: 5, serverFeatures: 5, actions: 'task-and-server', defer: true, globalFeatures: 2, pairFeatures: 1, candidates: 4 } as const;
const BANDIT: PairBanditOptions = { servers: 5, candidates: 4, defer: true, globalFeatures: 2, pairs: true, seed: 3 };

/** The bandit's own optimum as the expert: one optimal action per state. */
function banditExpert(env: PairBanditVecEnv): ExpertLike {
  return {
    label: (i, obs) => {
      const action = env.bestAction(i);
      const optimal = new Uint8Array(obs.mask.length);
      optimal[action] = 1;
      return { action, optimal };
    },
  };
}

/** The share of fresh bandit states where the learner (greedy, or sampling) picks the paying pair. */
function hits(agent: DAgger, count: number, deterministic = true): number {
  const env = new PairBanditVecEnv(1, { ...BANDIT, seed: 99 });
  const obs = env.reset().obs;
  let paying = 0;
  for (let s = 0; s < count; s++) {
    if (agent.act([env.view(obs, 0)], { deterministic })[0] === env.bestAction(0)) paying += 1;
    env.step([0]);
  }
  return paying / count;
}

const SMALL: DaggerConfigInput = { stepsPerEnv: 32, batchSize: 64, gradientSteps: 8, learningRate: 3e-3, expertFraction: 0.2 };

describe('DAgger', () => {
  it('learns the expert’s choice at any k, and the learner alone acts once beta reaches 0', async () => {
    const env = new PairBanditVecEnv(4, BANDIT);
    const agent = new DAgger(env, resolveMethod('crossattn-il'), { seed: 1, mask: true, config: SMALL, model: MODEL, expert: banditExpert(env) });
    // Untrained, the policy puts little probability on the paying pair (its greedy readout may
    // already rank that pair first: the features mark it).
    expect(hits(agent, 60, false)).toBeLessThan(0.5);
    const { last } = await agent.learn({ epochs: 15 });
    expect(hits(agent, 60)).toBeGreaterThanOrEqual(0.95);
    expect(hits(agent, 60, false)).toBeGreaterThanOrEqual(0.9);
    expect(last?.beta).toBe(0);
    // 4 envs x 32 steps, less the autoreset steps after each 4-step episode.
    expect(last?.labels).toBeGreaterThan(96);
    expect(last?.labels).toBeLessThanOrEqual(128);
    expect(last?.expertAgreement).toBeGreaterThanOrEqual(0.9);
    expect(last?.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(agent.betaAt(1, 15)).toBe(1);
    agent.dispose();
  });

  const SCHEDULING: EnvConfigInput = { nodes: 4, horizon: 5, invalidAction: 'mask', objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4, candidateWindow: 'level-1-and-shortest' };

  /** DAgger on the scheduling env with the clairvoyant rollout expert (SCALE's network, SRR on). */
  function schedulingAgent(): DAgger {
    const env = new VectorEnv(2, { ...SCHEDULING, seed: 5 });
    const expert = new RolloutExpert({ bases: ['sjf', 'eft'] });
    return new DAgger(env, resolveMethod('scale-il'), {
      seed: 5,
      mask: true,
      config: { stepsPerEnv: 8, batchSize: 16, gradientSteps: 2, expertFraction: 0.5 },
      model: { servers: 4 },
      expert: expert.forEnvs(env),
    });
  }

  it('imitates the rollout expert on the scheduling env; resumed from a checkpoint it is the uninterrupted run, bit for bit', async () => {
    const straight = schedulingAgent();
    await straight.learn({ epochs: 2 });
    const before = tf.memory().numTensors;
    const { last } = await straight.learn({ epochs: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(last?.labels).toBeGreaterThan(0);
    expect(last?.bufferSize).toBeGreaterThan(last?.labels as number);
    expect(Number.isFinite(last?.loss)).toBe(true);
    expect(last?.srrWeight).toBeGreaterThanOrEqual(0);

    const out = join(dir, 'resume');
    const first = schedulingAgent();
    await first.learn({ epochs: 2, outDir: out });
    first.dispose();
    const resumed = schedulingAgent();
    await resumed.load(join(out, 'checkpoint'));
    const { last: resumedLast } = await resumed.learn({ epochs: 4, outDir: out });
    const { stepsPerSec: _a, labelsPerSec: _b, ...a } = last!;
    const { stepsPerSec: _c, labelsPerSec: _d, ...b } = resumedLast!;
    expect(b).toEqual(a);
    const weights = straight.network.params.read();
    for (const [name, values] of resumed.network.params.read()) expect(Buffer.from(values.buffer).equals(Buffer.from(weights.get(name)!.buffer))).toBe(true);
    straight.dispose();
    resumed.dispose();
  });

  it('refuses another agent’s method', () => {
    const env = new PairBanditVecEnv(1, BANDIT);
    expect(() => new DAgger(env, resolveMethod('scale-rt'), { seed: 1, mask: true, model: MODEL, expert: banditExpert(env) })).toThrow(/DAgger cannot train a ppo method/);
  });
});

describe('DemonstrationBuffer', () => {
  it('checkpoints task-and-server observations and their optimal sets whole', () => {
    const data = randomPairMinibatch(6, 8, 5, { candidates: 4, defer: true, globalFeatures: 2, pairs: true });
    const buffer = new DemonstrationBuffer(6);
    data.observations.forEach((obs: ObservationLike, i: number) => {
      const optimal = new Uint8Array(obs.mask.length);
      optimal[i % obs.mask.length] = 1;
      buffer.add({ obs, optimal });
    });
    // 8 added to a capacity of 6: the ring kept the last 6.
    expect(buffer.size).toBe(6);
    const arrays = buffer.toArrays();
    const restored = new DemonstrationBuffer(6);
    restored.loadArrays(arrays);
    const all = (b: DemonstrationBuffer) => {
      let next = 0;
      return b.sample(b.size, { int: () => next++ } as never);
    };
    expect(all(restored)).toEqual(all(buffer));
    expect(restored.toArrays()).toEqual(arrays);
    expect(() => buffer.add({ obs: data.observations[0] as ObservationLike, optimal: new Uint8Array(1) })).toThrow(/optimal: expected/);
    const offRing = new Map(arrays).set('demonstrations/cursor', { shape: [1], data: Float32Array.of(6) });
    expect(() => new DemonstrationBuffer(6).loadArrays(offRing)).toThrow("checkpoint's demonstrations/cursor: expected an integer in [0, 5], received 6");
  });
});
