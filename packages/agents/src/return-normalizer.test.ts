import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorEnv } from '@scale/env';
import { useBackend } from '@scale/model';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BanditVecEnv } from './internal/bandit-env.js';
import { resolveMethod } from './method.js';
import { PPO } from './ppo.js';
import { ReturnNormalizer } from './return-normalizer.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** The rollout arrays of `envs` envs over `steps` steps, time-major, with the given rewards and episode ends. */
function rollout(envs: number, rewards: number[], ends: number[] = []) {
  const used = rewards.length;
  const terminated = new Uint8Array(used);
  for (const e of ends) terminated[e] = 1;
  return { rewards: Float32Array.from(rewards), terminated, truncated: new Uint8Array(used), valid: new Uint8Array(used).fill(1), used, envs };
}

describe('ReturnNormalizer', () => {
  it('divides by the population std of the discounted returns it has seen (one env, gamma 0.5)', () => {
    const normalizer = new ReturnNormalizer(1);
    const r = rollout(1, [4, 2, 8, 6], [1]);
    // G: 4, 0.5*4 + 2 = 4 (episode ends: reset), 8, 0.5*8 + 6 = 10 -> mean 6.5, population variance 6.75.
    const scale = normalizer.normalize({ ...r, discountAt: () => 0.5 });
    expect(scale).toBeCloseTo(Math.sqrt(6.75 + 1e-8), 12);
    expect(Array.from(r.rewards)).toEqual([4, 2, 8, 6].map((x) => Math.fround(x / scale)));
  });

  it('merges rollouts exactly as one pass over all their returns would (any split, any envs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 4, maxLength: 64 }), fc.integer({ min: 1, max: 63 }), (envs, values, cutAt) => {
        const length = values.length - (values.length % envs);
        const cut = Math.max(envs, Math.min(length - envs, cutAt - (cutAt % envs)));
        fc.pre(length >= 2 * envs);
        const whole = new ReturnNormalizer(envs);
        const all = rollout(envs, values.slice(0, length));
        const wholeScale = whole.normalize({ ...all, discountAt: () => 0.9 });
        const parts = new ReturnNormalizer(envs);
        parts.normalize({ ...rollout(envs, values.slice(0, cut)), discountAt: () => 0.9 });
        const partScale = parts.normalize({ ...rollout(envs, values.slice(cut, length)), discountAt: () => 0.9 });
        expect(partScale).toBeCloseTo(wholeScale, 6);
      }),
    );
  });

  it('skips autoreset steps and leaves the scale at 1 before two samples', () => {
    const normalizer = new ReturnNormalizer(1);
    const r = rollout(1, [3, 5]);
    r.valid[1] = 0;
    expect(normalizer.normalize({ ...r, discountAt: () => 1 })).toBe(1);
    expect(Array.from(r.rewards)).toEqual([3, 5]);
  });

  it('round-trips its state and names a bad one', () => {
    const a = new ReturnNormalizer(2);
    a.normalize({ ...rollout(2, [1, 2, 3, 4, 5, 6]), discountAt: () => 0.99 });
    const b = new ReturnNormalizer(2);
    b.restore(JSON.parse(JSON.stringify(a.state())));
    expect(b.state()).toEqual(a.state());
    expect(b.scale).toBe(a.scale);
    expect(() => b.restore({ returns: [1], count: 1, mean: 0, m2: 0 })).toThrow(/returnNormalizer: expected \{ returns: 2 finite numbers/);
  });
});

describe('PPO with normalizeReturns', () => {
  /** A two-server cluster (one medium, one large server), drained, as training.test.ts's. */
  const env = () => new VectorEnv(2, { nodes: 2, horizon: 15, arrivalRate: 0.25, drain: true, invalidAction: 'mask' });
  const make = () => new PPO(env(), resolveMethod('crossattn'), { seed: 4, mask: true, config: { stepsPerEnv: 16, minibatchSize: 32, updateEpochs: 2, normalizeReturns: true } });

  it('logs the scale, and a resumed run continues exactly as an unbroken one (the statistics are in the checkpoint)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'return-normalizer-'));
    try {
      const unbroken = make();
      const { last } = await unbroken.learn({ epochs: 4 });
      expect(last!.returnScale).toBeGreaterThan(0);
      expect(last!.returnScale).not.toBe(1);
      unbroken.dispose();
      const first = make();
      // Stopped after epoch 2 of a 4-epoch plan (the learning-rate schedule depends on the plan).
      await first.learn({ epochs: 4, outDir: dir, callbacks: [{ onEpoch: (m) => m.epoch < 2 }] });
      first.dispose();
      const resumed = make();
      await resumed.load(join(dir, 'checkpoint'));
      const after = await resumed.learn({ epochs: 4, outDir: dir });
      expect(after.last!.returnScale).toBe(last!.returnScale);
      expect(after.last!.valueLoss).toBe(last!.valueLoss);
      resumed.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is off for the paper presets: no returnScale in their metrics', async () => {
    const agent = new PPO(new BanditVecEnv(2, 5, 1), resolveMethod('crossattn'), { seed: 4, mask: false, config: { stepsPerEnv: 32, minibatchSize: 32, updateEpochs: 1 } });
    const { last } = await agent.learn({ epochs: 1 });
    expect(last).not.toHaveProperty('returnScale');
    agent.dispose();
  });
});
