import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type EnvConfigInput, VectorEnv } from '@scale/env';
import { readCheckpoint, useBackend } from '@scale/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpochMetrics } from './callbacks.js';
import { BanditVecEnv } from './internal/bandit-env.js';
import { type Method, resolveMethod } from './method.js';
import { PPO, type PpoConfigInput } from './ppo.js';

let dir = '';
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'scale-input-driven-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = { stepsPerEnv: 16, minibatchSize: 32, updateEpochs: 2, baseline: 'input-driven' } as const satisfies PpoConfigInput;

/** The paper's method on a drained two-server cluster (episodes terminate). */
const paper = { method: resolveMethod('scale'), env: { nodes: 2, horizon: 6, arrivalRate: 0.5, drain: true, invalidAction: 'mask' } as EnvConfigInput };
/** `crossattn-rt` (per-second discounting, return normalization, defer) with episodes truncated at the horizon. */
const rtMethod = resolveMethod('crossattn-rt');
const rt = { method: rtMethod, env: { nodes: 3, horizon: 6, arrivalRate: 0.5, invalidAction: 'mask', ...rtMethod.env } as EnvConfigInput };

const makeAgent = (setting: { method: Method; env: EnvConfigInput }, seed: number, config: PpoConfigInput = small) =>
  new PPO(new VectorEnv(2, setting.env), setting.method, { seed, mask: true, config });

const rows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      delete row.stepsPerSec;
      return row;
    });

describe('PPO with the input-driven baseline', () => {
  it('takes it from the method or the PPO config, and refuses what it cannot run, naming the field', () => {
    expect(resolveMethod({ agent: 'ppo', encoder: 'mlp', srr: null, baseline: 'input-driven' }).baseline).toBe('input-driven');
    expect(() => resolveMethod({ agent: 'dqn', encoder: 'mlp', srr: null, baseline: 'input-driven' })).toThrow(/method\.baseline: expected "critic" with agent dqn/);
    const fromMethod = new PPO(new VectorEnv(2, paper.env), { ...paper.method, baseline: 'input-driven' }, { seed: 1, mask: true, config: { stepsPerEnv: 4 } });
    expect(fromMethod.baseline).toBe('input-driven');
    fromMethod.dispose();
    const overridden = new PPO(new VectorEnv(2, paper.env), { ...paper.method, baseline: 'input-driven' }, { seed: 1, mask: true, config: { baseline: 'critic' } });
    expect(overridden.baseline).toBe('critic');
    overridden.dispose();
    expect(() => new PPO(new BanditVecEnv(2, 5, 1), paper.method, { seed: 1, mask: false, config: small })).toThrow(/ppo\.baseline: expected 'critic' with this env \(the input-driven baseline needs an env with resetSameSeed and stepActive/);
    expect(() => new PPO(new VectorEnv(2, paper.env), paper.method, { seed: 1, mask: true, config: { episodeStepCap: 8 } })).toThrow(/ppo\.episodeStepCap: expected no value with baseline 'critic'/);
  });

  it('runs every env to its episode end on one seed per epoch: episodes = envs, no autoreset step learned', async () => {
    const env = new VectorEnv(2, rt.env);
    const agent = new PPO(env, rt.method, { seed: 3, mask: true, config: small });
    const epochs: EpochMetrics[] = [];
    const seeds: number[][] = [];
    let stepsBefore = 0;
    const onEpoch = (m: EpochMetrics): undefined => {
      epochs.push(m);
      seeds.push(env.envs.map((e) => e.snapshot().episodeSeed));
      // The epoch's learned steps are exactly the actions of the two episodes (defers included).
      expect(m.globalStep - stepsBefore).toBe(env.envs.reduce((sum, e) => sum + e.snapshot().actions.length, 0));
      stepsBefore = m.globalStep;
    };
    await agent.learn({ epochs: 3, callbacks: [{ onEpoch }] });
    expect(seeds.map(([a, b]) => a === b)).toEqual([true, true, true]);
    expect(new Set(seeds.map(([a]) => a)).size).toBe(3);
    for (const m of epochs) {
      expect(m.episodes).toBe(2);
      expect(m.cutEpisodes).toBe(0);
      expect(Number.isFinite(m.meanResponseTime)).toBe(true);
      expect(Number.isFinite(m.approxKl) && Number.isFinite(m.valueLoss) && Number.isFinite(m.explainedVariance)).toBe(true);
      expect(m.returnScale).toBeGreaterThan(0);
    }
    // One epoch's steps are the two episodes' decisions.
    expect(epochs[0]!.globalStep).toBeGreaterThan(2);
    agent.dispose();
  });

  it('cuts an episode at episodeStepCap, treats it as truncated and counts it', async () => {
    const agent = makeAgent(rt, 3, { ...small, episodeStepCap: 3 });
    const { last } = await agent.learn({ epochs: 2 });
    expect(last!.cutEpisodes).toBe(2);
    expect(last!.episodes).toBe(0);
    expect(last!.globalStep).toBe(2 * 2 * 3);
    expect(Number.isFinite(last!.valueLoss)).toBe(true);
    agent.dispose();
  });

  it.each([
    ['scale (per step, terminated episodes)', paper],
    ['crossattn-rt (per second, normalized returns, truncated episodes)', rt],
  ] as const)('%s: 2 epochs + checkpoint + 2 more = 4 straight, bit for bit', async (name, setting) => {
    const tag = name.split(' ')[0] as string;
    const straightDir = join(dir, `${tag}-straight`);
    const straight = makeAgent(setting, 11);
    await straight.learn({ epochs: 4, outDir: straightDir });

    const resumedDir = join(dir, `${tag}-resumed`);
    const first = makeAgent(setting, 11);
    await first.learn({ epochs: 4, outDir: resumedDir, callbacks: [{ onEpoch: (m) => m.epoch < 2 }] });
    first.dispose();
    const second = makeAgent(setting, 11);
    await second.load(join(resumedDir, 'checkpoint'));
    expect(second.epoch).toBe(2);
    await second.learn({ epochs: 4, outDir: resumedDir });

    expect(rows(await readFile(join(resumedDir, 'metrics.jsonl'), 'utf8'))).toEqual(rows(await readFile(join(straightDir, 'metrics.jsonl'), 'utf8')));
    const a = await readCheckpoint(join(straightDir, 'checkpoint'));
    const b = await readCheckpoint(join(resumedDir, 'checkpoint'));
    expect(Object.keys(a.metadata.rngs as object)).toEqual(['actions', 'minibatches', 'episodes']);
    expect([...b.arrays.keys()]).toEqual([...a.arrays.keys()]);
    for (const [key, array] of a.arrays) expect(Buffer.from(b.arrays.get(key)!.data.buffer).equals(Buffer.from(array.data.buffer)), key).toBe(true);
    straight.dispose();
    second.dispose();
  });

  it('same seed, same weights and metrics, bit for bit; another seed, other episodes', async () => {
    const run = async (seed: number) => {
      const agent = makeAgent(rt, seed);
      const { last } = await agent.learn({ epochs: 2 });
      const weights = agent.network.params.read();
      agent.dispose();
      const { stepsPerSec: _, ...rest } = last!;
      return { rest, weights };
    };
    const a = await run(7);
    const b = await run(7);
    expect(b.rest).toEqual(a.rest);
    for (const [name, values] of a.weights) expect(Buffer.from(values.buffer).equals(Buffer.from(b.weights.get(name)!.buffer)), name).toBe(true);
    expect((await run(8)).rest).not.toEqual(a.rest);
  });

  it('keeps the tensor count stable across epochs', async () => {
    const agent = makeAgent(rt, 5);
    await agent.learn({ epochs: 1 });
    const before = tf.memory().numTensors;
    await agent.learn({ epochs: 4 });
    expect(tf.memory().numTensors).toBe(before);
    agent.dispose();
  });
});
