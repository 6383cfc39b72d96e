import { SchedulingEnv } from '@scale/env';
import { FastNetwork, MASKED_LOGIT, Network, type ObservationLike, useBackend } from '@scale/model';
import { Rng } from '@scale/workload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureBuffer } from './feature-buffer.js';
import { argmax, greedyWithDefer } from './internal/sampling.js';
import { resolveMethod } from './method.js';
import { policyFromNetwork } from './policy.js';
import { PPO } from './ppo.js';
import { VectorEnv } from '@scale/env';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Decisions of 5-server drained episodes, with the env's own masks. */
function observations(mask: boolean, count: number): ObservationLike[] {
  const env = new SchedulingEnv({ nodes: 5, horizon: 20, arrivalRate: 0.5, drain: true, invalidAction: mask ? 'mask' : 'penalize' });
  const out: ObservationLike[] = [];
  let { obs } = env.reset({ seed: 1_000_000 });
  for (let i = 0; out.length < count; i++) {
    out.push({ task: obs.task.slice(), servers: obs.servers.slice(), mask: obs.mask.slice(), n: obs.n });
    // Any valid server, rotating (mask mode refuses an invalid one).
    const valid = Array.from(obs.mask.keys()).filter((j) => obs.mask[j] === 1);
    const step = env.step(valid.length === 0 ? 0 : (valid[i % valid.length] as number));
    obs = step.terminated || step.truncated ? env.reset({ seed: 1_000_001 + i }).obs : step.obs;
  }
  return out;
}

/** The softmax of the masked outputs, in float64, written out from the definition. */
function probabilities(outputs: Float32Array, obs: ObservationLike, mask: boolean): number[] {
  const z = Array.from({ length: obs.n }, (_, j) => (mask && obs.mask[j] === 0 ? MASKED_LOGIT : (outputs[j] as number)));
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe('policyFromNetwork', () => {
  const actorCritic = new Network({ seed: 3 });
  const qNetwork = new Network({ seed: 4, outputs: { policy: false, value: false, q: true } });
  afterAll(() => {
    actorCritic.dispose();
    qNetwork.dispose();
  });

  it.each([true, false])('greedy: the argmax of the (masked) logits, mask %s', (mask) => {
    const fast = new FastNetwork(actorCritic);
    const policy = policyFromNetwork(actorCritic, { mask, mode: 'greedy' });
    for (const obs of observations(mask, 40)) {
      const p = probabilities(fast.forward(obs).logits as Float32Array, obs, mask);
      const chosen = policy.act(obs);
      expect(p[chosen]).toBe(Math.max(...p));
      if (mask) expect(obs.mask[chosen]).toBe(1);
    }
  });

  it('sample: inverse-CDF draws from the masked softmax on the stream new Rng(seed).child("eval:sample")', () => {
    const fast = new FastNetwork(actorCritic);
    const policy = policyFromNetwork(actorCritic, { mask: true, mode: 'sample', seed: 7 });
    const rng = new Rng(7).child('eval:sample');
    for (const obs of observations(true, 60)) {
      const p = probabilities(fast.forward(obs).logits as Float32Array, obs, true);
      let u = rng.next();
      let expected = obs.n - 1;
      for (let j = 0; j < obs.n; j++) {
        u -= p[j] as number;
        if (u < 0) {
          expected = j;
          break;
        }
      }
      expect(policy.act(obs)).toBe(expected);
    }
  });

  it('decide: the log-probability of the action under the masked policy, and V(s)', () => {
    const fast = new FastNetwork(actorCritic);
    const policy = policyFromNetwork(actorCritic, { mask: true, mode: 'sample', seed: 1 });
    for (const obs of observations(true, 20)) {
      const out = fast.forward(obs);
      const p = probabilities(out.logits as Float32Array, obs, true);
      const value = out.value;
      const decision = policy.decide(obs);
      expect(decision.logProb).toBeCloseTo(Math.log(p[decision.action] as number), 9);
      expect(decision.value).toBe(value);
    }
  });

  it('a Q network acts greedily in both modes and gathers its features in a FeatureBuffer', () => {
    const fast = new FastNetwork(qNetwork);
    const buffer = new FeatureBuffer(qNetwork.config.embedDim);
    const policy = policyFromNetwork(qNetwork, { mask: true, mode: 'sample', features: buffer });
    const seen = observations(true, 30);
    for (const obs of seen) {
      const out = fast.forward(obs);
      const q = Array.from({ length: obs.n }, (_, j) => (obs.mask[j] === 0 ? MASKED_LOGIT : (out.q as Float32Array)[j] as number));
      expect(policy.act(obs)).toBe(q.indexOf(Math.max(...q)));
    }
    expect(buffer.samples).toBe(seen.length);
    const last = fast.forward(seen.at(-1) as ObservationLike).feature;
    expect(Array.from(buffer.values().subarray(-qNetwork.config.embedDim))).toEqual(Array.from(last.subarray(0, qNetwork.config.embedDim)));
  });

  it("is what PPO acts with: the same actions as the agent's greedy act", async () => {
    const agent = new PPO(new VectorEnv(2, { nodes: 5, horizon: 15, drain: true }), resolveMethod('scale'), { seed: 2, mask: true, config: { stepsPerEnv: 8, minibatchSize: 8, updateEpochs: 1 } });
    await agent.learn({ epochs: 1 });
    const policy = policyFromNetwork(agent.network, { mask: true, mode: 'greedy' });
    const seen = observations(true, 30);
    expect(Array.from(agent.act(seen, { deterministic: true }))).toEqual(seen.map(policy.act));
    agent.dispose();
  });

  it('names a bad mode', () => {
    expect(() => policyFromNetwork(actorCritic, { mask: true, mode: 'best' as never })).toThrow(/mode: expected greedy or sample, received "best"/);
  });
});

describe('FeatureBuffer', () => {
  it('grows and keeps the first `dimensions` values of each push', () => {
    const buffer = new FeatureBuffer(2);
    for (let i = 0; i < 1500; i++) buffer.push(Float32Array.of(i, -i, 99));
    expect(buffer.samples).toBe(1500);
    expect(Array.from(buffer.values().subarray(2 * 1499))).toEqual([1499, -1499]);
    expect(() => new FeatureBuffer(0)).toThrow(/FeatureBuffer dimensions: expected an integer >= 1, received 0/);
  });
});

describe('greedy with a defer action', () => {
  const logitsOf = (p: number[]) => Float64Array.from(p, (x) => Math.log(x));

  it('starts the most probable assignment when defer has less than half the probability, even if defer beats each pair', () => {
    // Defer 0.3, five pairs at 0.14: argmax would defer; the policy starts a task 70% of the time.
    expect(greedyWithDefer(logitsOf([0.14, 0.14, 0.16, 0.13, 0.13, 0.3]), 6)).toBe(2);
    expect(argmax(logitsOf([0.14, 0.14, 0.16, 0.13, 0.13, 0.3]), 6)).toBe(5);
  });

  it('defers when defer has more than half the probability, and never picks a masked defer', () => {
    expect(greedyWithDefer(logitsOf([0.2, 0.25, 0.55]), 3)).toBe(2);
    expect(greedyWithDefer(Float64Array.from([0.1, 0.3, MASKED_LOGIT]), 3)).toBe(1);
  });
});
