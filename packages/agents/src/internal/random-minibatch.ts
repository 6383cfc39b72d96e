import { type Network, batchObservations } from '@scale/model';
import { Rng } from '@scale/workload';
import type { ShardArrays } from '../ppo-gradient.js';

// Test support: random PPO minibatches and their shards, for the gradient tests.

/** A random minibatch of `rows` N = `n` observations with PPO targets. */
export function randomMinibatch(seed: number, rows: number, n: number) {
  const rng = new Rng(seed);
  const observations = Array.from({ length: rows }, () => ({
    task: Float32Array.from({ length: 5 }, () => rng.normal(0, 1)),
    servers: Float32Array.from({ length: n * 5 }, () => rng.uniform(0, 2)),
    mask: Uint8Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.8 ? 1 : 0)),
    n,
  }));
  // The behaviour policy only takes valid actions.
  const actions = Int32Array.from(observations, (obs) => {
    const action = rng.int(0, n - 1);
    obs.mask[action] = 1;
    return action;
  });
  return {
    observations,
    actions,
    oldLogProbs: Float32Array.from({ length: rows }, () => rng.uniform(-4, -1)),
    advantages: Float32Array.from({ length: rows }, () => rng.normal(0, 1)),
    returns: Float32Array.from({ length: rows }, () => rng.normal(1, 1)),
  };
}

export function shardOf(data: ReturnType<typeof randomMinibatch>, from: number, to: number, total: number): ShardArrays {
  return {
    batch: batchObservations(data.observations.slice(from, to)),
    actions: data.actions.slice(from, to),
    oldLogProbs: data.oldLogProbs.slice(from, to),
    advantages: data.advantages.slice(from, to),
    returns: data.returns.slice(from, to),
    weight: to - from === total ? 1 : (to - from) / total,
  };
}

export const packedParameters = (network: Network): Float32Array => {
  const variables = network.trainableVariables();
  const out = new Float32Array(variables.reduce((a, v) => a + v.size, 0));
  let at = 0;
  for (const v of variables) {
    out.set(v.dataSync() as Float32Array, at);
    at += v.size;
  }
  return out;
};
