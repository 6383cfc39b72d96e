import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorEnv } from '@scale/env';
import { readCheckpoint, useBackend } from '@scale/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from './base-agent.js';
import type { EpochMetrics } from './callbacks.js';
import { DQN } from './dqn.js';
import { NonFiniteLossError } from './errors.js';
import { BanditVecEnv } from './internal/bandit-env.js';
import { resolveMethod } from './method.js';
import { PPO } from './ppo.js';
import { SAC } from './sac.js';
import type { VecEnvLike } from './types.js';

let dir = '';
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'scale-agents-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A two-server cluster (one medium, one large server) under light load: the large server is always the better choice. */
const twoServers = { nodes: 2, horizon: 15, arrivalRate: 0.25, drain: true } as const;

const makeAgent = (kind: 'ppo' | 'dqn' | 'sac', env: VecEnvLike, seed: number, mask: boolean): Agent => {
  const off = { stepsPerEnv: 16, learningStarts: 16, batchSize: 16, trainFrequency: 2, bufferSize: 2000 };
  if (kind === 'ppo') return new PPO(env, resolveMethod('scale'), { seed, mask, config: { stepsPerEnv: 16, minibatchSize: 32, updateEpochs: 2 } });
  if (kind === 'dqn') return new DQN(env, resolveMethod('dqn'), { seed, mask, config: { ...off, nStep: 2, targetUpdateInterval: 32 }, model: { servers: 2 } });
  return new SAC(env, resolveMethod('sac'), { seed, mask, config: off, model: { servers: 2 } });
};

const withoutTiming = (rows: string) =>
  rows
    .trim()
    .split('\n')
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      delete row.stepsPerSec;
      return row;
    });

describe('resume equals uninterrupted', () => {
  it.each(['ppo', 'dqn', 'sac'] as const)('%s: 2 epochs + checkpoint + 2 more = 4 straight, bit for bit', async (kind) => {
    const straightDir = join(dir, `${kind}-straight`);
    const straight = makeAgent(kind, new VectorEnv(2, { ...twoServers, invalidAction: 'mask' }), 11, true);
    await straight.learn({ epochs: 4, outDir: straightDir });

    const resumedDir = join(dir, `${kind}-resumed`);
    const first = makeAgent(kind, new VectorEnv(2, { ...twoServers, invalidAction: 'mask' }), 11, true);
    // Stopped after epoch 2 of a 4-epoch plan (the schedules depend on the plan, as in any trainer).
    await first.learn({ epochs: 4, outDir: resumedDir, callbacks: [{ onEpoch: (m) => m.epoch < 2 }] });
    first.dispose();
    const second = makeAgent(kind, new VectorEnv(2, { ...twoServers, invalidAction: 'mask' }), 11, true);
    await second.load(join(resumedDir, 'checkpoint'));
    expect(second.epoch).toBe(2);
    await second.learn({ epochs: 4, outDir: resumedDir });

    expect(withoutTiming(await readFile(join(resumedDir, 'metrics.jsonl'), 'utf8'))).toEqual(withoutTiming(await readFile(join(straightDir, 'metrics.jsonl'), 'utf8')));
    const a = await readCheckpoint(join(straightDir, 'checkpoint'));
    const b = await readCheckpoint(join(resumedDir, 'checkpoint'));
    expect([...b.arrays.keys()]).toEqual([...a.arrays.keys()]);
    for (const [name, array] of a.arrays) expect(Buffer.from(b.arrays.get(name)!.data.buffer).equals(Buffer.from(array.data.buffer)), name).toBe(true);
    straight.dispose();
    second.dispose();
  });
});

describe('training loop', () => {
  it('writes metrics.csv and metrics.jsonl as it goes, with the diagnostics a practitioner expects', async () => {
    const out = join(dir, 'metrics');
    const agent = makeAgent('ppo', new VectorEnv(2, twoServers), 1, false);
    const seen: EpochMetrics[] = [];
    await agent.learn({ epochs: 2, outDir: out, callbacks: [{ onEpoch: (m) => void seen.push(m) }] });
    const csv = (await readFile(join(out, 'metrics.csv'), 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(3);
    for (const column of ['epoch', 'globalStep', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction', 'explainedVariance', 'srrDecorrelation', 'srrKl', 'stepsPerSec', 'meanReward']) {
      expect(csv[0]!.split(',')).toContain(column);
    }
    expect(seen.map((m) => m.epoch)).toEqual([1, 2]);
    // 2 envs x 16 steps x 2 epochs, less the autoreset steps (not counted as env steps).
    expect(seen[1]!.globalStep).toBeGreaterThan(48);
    expect(seen[1]!.globalStep).toBeLessThanOrEqual(64);
    agent.dispose();
  });

  it('a callback returning false stops training', async () => {
    const agent = makeAgent('dqn', new VectorEnv(2, twoServers), 1, false);
    let steps = 0;
    const summary = await agent.learn({ epochs: 10, callbacks: [{ onStep: () => ++steps < 20 }] });
    expect(summary.stoppedEarly).toBe(true);
    // 20 vector steps: epoch 1 (16 steps) and 4 steps into epoch 2.
    expect(summary.epochs).toBe(2);
    expect(steps).toBe(20);
    agent.dispose();
  });

  it('a NaN loss stops training with a clear error and keeps the last good checkpoint', async () => {
    const out = join(dir, 'nan');
    const env = new BanditVecEnv(2, 3, 1);
    const agent = new PPO(env, resolveMethod('crossattn'), { seed: 1, mask: false, config: { stepsPerEnv: 8, minibatchSize: 8 } });
    await agent.learn({ epochs: 1, outDir: out });
    const poisoned: VecEnvLike = {
      numEnvs: 2,
      reset: () => env.reset(),
      step: (actions) => ({ ...env.step(actions), rewards: Float64Array.of(Number.NaN, Number.NaN) }),
    };
    const broken = new PPO(poisoned, resolveMethod('crossattn'), { seed: 1, mask: false, config: { stepsPerEnv: 8, minibatchSize: 8 } });
    await broken.load(join(out, 'checkpoint'));
    await expect(broken.learn({ epochs: 3, outDir: out })).rejects.toThrow(NonFiniteLossError);
    await expect(broken.learn({ epochs: 3, outDir: out })).rejects.toThrow(/epoch 2: loss is NaN; training stopped, the last good checkpoint is kept/);
    const kept = await readCheckpoint(join(out, 'checkpoint'));
    expect(kept.metadata.epoch).toBe(1);
    agent.dispose();
    broken.dispose();
  });
});
