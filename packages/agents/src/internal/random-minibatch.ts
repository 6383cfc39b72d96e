import { type Network, type ObservationLike, batchActions, batchObservations } from '@scale/model';
import { Rng } from '@scale/workload';
import { expect } from 'vitest';
import type { GradientThreads } from '../gradient-threads.js';
import { type MinibatchDiagnostics, type MinibatchGradient, type PpoShardSettings, type ShardArrays, ppoShardGradients } from '../ppo-gradient.js';

// Test support: random PPO minibatches and their shards, for the gradient tests.

/** Observations with PPO targets (each action the observation's own index). */
export interface RandomMinibatch {
  readonly observations: readonly ObservationLike[];
  readonly actions: Int32Array;
  readonly oldLogProbs: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

/** A random minibatch of `rows` N = `n` observations with PPO targets. */
export function randomMinibatch(seed: number, rows: number, n: number): RandomMinibatch {
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

/** Issue 14's observation fields for `randomPairMinibatch`. */
export interface PairLayout {
  /** Most candidates per row (each row draws k in 1..candidates). */
  readonly candidates: number;
  readonly defer: boolean;
  readonly globalFeatures: number;
  readonly pairs: boolean;
}

/**
 * A random minibatch of task-and-server observations: each row draws k in 1..candidates and N in
 * n-2..n (so both are padded), with the layout's defer, global context and pairs; actions are each
 * observation's own index.
 */
export function randomPairMinibatch(seed: number, rows: number, n: number, layout: PairLayout): RandomMinibatch {
  const rng = new Rng(seed);
  const observations: ObservationLike[] = Array.from({ length: rows }, () => {
    const k = rng.int(1, layout.candidates);
    const rowN = rng.int(Math.max(1, n - 2), n);
    const tasks = Float32Array.from({ length: k * 5 }, () => rng.normal(0, 1));
    return {
      task: tasks.slice(0, 5),
      servers: Float32Array.from({ length: rowN * 5 }, () => rng.uniform(0, 2)),
      mask: Uint8Array.from({ length: k * rowN + (layout.defer ? 1 : 0) }, () => (rng.uniform(0, 1) < 0.8 ? 1 : 0)),
      n: rowN,
      k,
      tasks,
      ...(layout.pairs ? { pairs: Float32Array.from({ length: k * rowN }, () => rng.uniform(0, 1)) } : {}),
      ...(layout.globalFeatures > 0 ? { global: Float32Array.from({ length: layout.globalFeatures }, () => rng.uniform(0, 1)) } : {}),
      defer: layout.defer,
    };
  });
  const actions = Int32Array.from(observations, (obs) => {
    const action = rng.int(0, obs.mask.length - 1);
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

/** Rows from..to of a minibatch as a shard (actions converted to the shard batch's columns). */
export function shardOf(data: RandomMinibatch, from: number, to: number, total: number): ShardArrays {
  const batch = batchObservations(data.observations.slice(from, to));
  return {
    batch,
    actions: batchActions(batch, data.actions.slice(from, to)),
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

/**
 * A minibatch's gradient computed whole on this thread, and again cut into `pool.threads`-many
 * contiguous shards on the pool; the test then checks the two agree.
 */
export function wholeAndSplit(network: Network, pool: GradientThreads, threads: number, data: RandomMinibatch, rows: number, settings: PpoShardSettings) {
  const whole = ppoShardGradients(network, shardOf(data, 0, rows, rows), settings, null);
  const cuts = Array.from({ length: threads + 1 }, (_, s) => Math.floor((s * rows) / threads));
  const shards = cuts.slice(0, -1).map((from, s) => shardOf(data, from, cuts[s + 1] as number, rows));
  const split = pool.compute(shards, settings.epoch, packedParameters(network));
  return { whole, shards, split };
}

/** The sharded gradient equals the whole one (to float32 summation order), and so do the diagnostics: PPO terms add up over shards, SRR terms are the minibatch's. */
export function expectSplitMatchesWhole(whole: MinibatchGradient, split: MinibatchGradient): void {
  const scale = whole.gradients.reduce((a: number, g: number) => Math.max(a, Math.abs(g)), 0);
  expect(scale).toBeGreaterThan(0);
  for (let i = 0; i < whole.gradients.length; i++) expect(Math.abs((split.gradients[i] as number) - (whole.gradients[i] as number))).toBeLessThan(1e-4 * scale);
  for (const [name, value] of Object.entries(whole.diagnostics) as [keyof MinibatchDiagnostics, number][]) {
    expect(Math.abs(split.diagnostics[name] - value), name).toBeLessThan(1e-5 * Math.max(1, Math.abs(value)));
  }
}
