import * as tf from '@tensorflow/tfjs';
import { FastNetwork, Network, type ObservationLike, batchObservations, useBackend } from '@scale/model';
import { resolveSrrConfig } from '@scale/srr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BanditVecEnv } from './internal/bandit-env.js';
import { FeatureBuffer } from './feature-buffer.js';
import { GradientThreads } from './gradient-threads.js';
import { groupByCandidates } from './internal/candidate-groups.js';
import { PairBanditVecEnv, type PairBanditOptions } from './internal/pair-bandit-env.js';
import { expectSplitMatchesWhole, randomPairMinibatch, shardOf, wholeAndSplit } from './internal/random-minibatch.js';
import { copyObservation, isPaperObservation, observationFromJson, observationToJson } from './internal/observations.js';
import { ShardChannel } from './internal/shard-channel.js';
import { resolveMethod } from './method.js';
import { policyFromNetwork } from './policy.js';
import { DQN } from './dqn.js';
import { PPO } from './ppo.js';
import { ReplayBuffer } from './replay-buffer.js';
import { SAC } from './sac.js';
import { type MinibatchDiagnostics, type PpoShardSettings, ppoShardGradients } from './ppo-gradient.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// Task-and-server actions, defer, global context and pairs through PPO (issue 14), on synthetic envs
// with a known optimum. The scenario-based learning tests are in learning-scenarios.test.ts.

const LAYOUT = { candidates: 4, defer: true, globalFeatures: 2, pairs: true } as const;
const MODEL = { taskFeatures: 5, serverFeatures: 5, actions: 'task-and-server', defer: true, globalFeatures: 2, pairFeatures: 1, candidates: 4 } as const;
const BANDIT: PairBanditOptions = { servers: 5, candidates: 4, defer: true, globalFeatures: 2, pairs: true, seed: 3 };
const small = { stepsPerEnv: 32, minibatchSize: 64, updateEpochs: 4, learningRate: 3e-3, lrSchedule: 'constant' } as const;

/** The fraction of `count` fresh situations in which `agent` picks the paying pair, greedily (or sampling). */
function greedyHits(agent: PPO | DQN | SAC, count: number, deterministic = true): number {
  const env = new PairBanditVecEnv(1, { ...BANDIT, seed: 99 });
  const obs = env.reset().obs;
  let hits = 0;
  for (let s = 0; s < count; s++) {
    if (agent.act([env.view(obs, 0)], { deterministic })[0] === env.bestAction(0)) hits += 1;
    env.step([0]);
  }
  return hits / count;
}

describe('PPO with task-and-server actions and defer', () => {
  it('learns which (candidate, server) pair pays, at any k, over deferring (SCALE)', async () => {
    const agent = new PPO(new PairBanditVecEnv(4, BANDIT), resolveMethod('scale'), { seed: 1, mask: true, config: small, model: MODEL });
    // Untrained, the policy puts little probability on the paying pair (its greedy readout may
    // already rank that pair first among the pairs: the features mark it).
    expect(greedyHits(agent, 60, false)).toBeLessThan(0.5);
    await agent.learn({ epochs: 20 });
    expect(greedyHits(agent, 60)).toBeGreaterThanOrEqual(0.95);
    agent.dispose();
  });

  it('same seed, same updates, bit for bit; the tensor count stays flat', async () => {
    const run = async () => {
      const agent = new PPO(new PairBanditVecEnv(2, BANDIT), resolveMethod('scale-rt'), { seed: 7, mask: true, config: small, model: MODEL });
      await agent.learn({ epochs: 1 });
      const before = tf.memory().numTensors;
      const { last } = await agent.learn({ epochs: 4 });
      const other = new PairBanditVecEnv(1, BANDIT);
      agent.act([other.view(other.reset().obs, 0)]);
      expect(tf.memory().numTensors).toBe(before);
      const weights = agent.network.params.read();
      agent.dispose();
      return { last, weights };
    };
    const a = await run();
    const b = await run();
    const { stepsPerSec: _a, ...restA } = a.last!;
    const { stepsPerSec: _b, ...restB } = b.last!;
    expect(restA).toEqual(restB);
    expect(restA.srrDecorrelation).toBeGreaterThanOrEqual(0);
    for (const [name, values] of a.weights) expect(Buffer.from(values.buffer).equals(Buffer.from(b.weights.get(name)!.buffer))).toBe(true);
  });

  it('per-second discounting refuses an env that does not report info.elapsed', async () => {
    const agent = new PPO(new BanditVecEnv(1, 3, 1), resolveMethod('scale'), { seed: 1, mask: false, config: { ...small, discount: 'per-second' } });
    await expect(agent.learn({ epochs: 1 })).rejects.toThrow(/discount: expected 'per-step' \(per-second discounting needs an env whose step info reports elapsed/);
    agent.dispose();
  });
});

describe('the gradient of a task-and-server minibatch', () => {
  const network = new Network({ seed: 5, ...MODEL });
  const settings: PpoShardSettings = { clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, mask: true, srr: resolveSrrConfig(), epoch: 40 };
  const { epoch, ...shared } = settings;
  const pools: GradientThreads[] = [];
  afterAll(() => {
    for (const pool of pools) pool.dispose();
    network.dispose();
  });

  it('crosses the shard channel whole (k, tasks, pairs, global, defer, the A-wide mask)', () => {
    const data = randomPairMinibatch(3, 12, 6, LAYOUT);
    const shard = shardOf(data, 0, 12, 12);
    const channel = ShardChannel.create({ parameters: 4, featureSize: 16, capacity: 1 << 14 });
    channel.writeShard(shard, 7, 5, 5);
    const { shard: read, epoch: readEpoch } = channel.readShard(5, 5);
    expect(readEpoch).toBe(7);
    expect(read).toEqual(shard);
  });

  it('sums 2 shards to the whole minibatch gradient, SRR over every present candidate', () => {
    const threads = 2;
    const rows = 48;
    const data = randomPairMinibatch(8, rows, 6, LAYOUT);
    const pool = new GradientThreads(network, threads, shared);
    pools.push(pool);
    const { whole, split } = wholeAndSplit(network, pool, threads, data, rows, settings);
    expectSplitMatchesWhole(whole, split);
    expect(whole.diagnostics.srrDecorrelation).toBeGreaterThan(0);
  });

  it('grouped by candidate count (padded separately, one tape), gives the whole padded minibatch gradient', () => {
    const rows = 64;
    const data = randomPairMinibatch(12, rows, 6, LAYOUT);
    const whole = ppoShardGradients(network, shardOf(data, 0, rows, rows), settings, null);
    // One group per candidate count (what groupByCandidates picks when padding is dear).
    const groups = [1, 2, 3, 4].map((k) => data.observations.flatMap((obs, p) => (obs.k === k ? [p] : [])));
    expect(groups.every((g) => g.length > 0)).toBe(true);
    const shards = groups.map((positions) => {
      const subset = {
        observations: positions.map((p) => data.observations[p] as ObservationLike),
        actions: Int32Array.from(positions, (p) => data.actions[p] as number),
        oldLogProbs: Float32Array.from(positions, (p) => data.oldLogProbs[p] as number),
        advantages: Float32Array.from(positions, (p) => data.advantages[p] as number),
        returns: Float32Array.from(positions, (p) => data.returns[p] as number),
      };
      return { ...shardOf(subset, 0, positions.length, positions.length), weight: positions.length / rows };
    });
    const grouped = ppoShardGradients(network, shards, settings, null);
    const scale = whole.gradients.reduce((a: number, g: number) => Math.max(a, Math.abs(g)), 0);
    for (let i = 0; i < whole.gradients.length; i++) expect(Math.abs((grouped.gradients[i] as number) - (whole.gradients[i] as number))).toBeLessThan(1e-4 * scale);
    for (const [name, value] of Object.entries(whole.diagnostics) as [keyof MinibatchDiagnostics, number][]) {
      expect(Math.abs(grouped.diagnostics[name] - value), name).toBeLessThan(1e-5 * Math.max(1, Math.abs(value)));
    }
  });

  it('groups rows by candidate count where padding costs more than another pass', () => {
    const partition = (ks: number[]) => groupByCandidates(ks);
    // Every row exactly once, in order within a group, groups in increasing k.
    const ks = Array.from({ length: 256 }, (_, i) => [1, 1, 2, 1, 8, 3, 1, 5][i % 8] as number);
    const groups = partition(ks);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(ks.map((_, i) => i));
    for (const group of groups) expect(group).toEqual([...group].sort((a, b) => a - b));
    const largest = groups.map((g) => Math.max(...g.map((i) => ks[i] as number)));
    expect(largest).toEqual([...largest].sort((a, b) => a - b));
    expect(groups.length).toBeGreaterThan(1);
    // One k, or a few rows: one group (another pass would cost more than the padding).
    expect(partition(new Array(256).fill(4))).toHaveLength(1);
    expect(partition([1, 8, 1, 2])).toEqual([[0, 1, 2, 3]]);
    // Most rows at k = 1 and a quarter at 8: two groups.
    expect(partition(Array.from({ length: 256 }, (_, i) => (i % 4 === 0 ? 8 : 1))).map((g) => g.length)).toEqual([192, 64]);
  });

  it('SRR sees one row per present candidate', () => {
    const data = randomPairMinibatch(4, 10, 6, LAYOUT);
    const batch = batchObservations(data.observations);
    const rows = data.observations.reduce((sum, obs) => sum + (obs.k ?? 1), 0);
    expect(network.predict(batch).candidateFeatures).toHaveLength(rows * 16);
  });
});

describe('acting on A actions', () => {
  const network = new Network({ seed: 9, ...MODEL });
  afterAll(() => network.dispose());
  const observations: readonly ObservationLike[] = randomPairMinibatch(5, 30, 6, LAYOUT).observations;

  it('log pi of the chosen action is over the k N (+ defer) masked actions; masked pairs are never chosen', () => {
    const fast = new FastNetwork(network);
    const policy = policyFromNetwork(network, { mask: true, mode: 'sample', seed: 2 });
    let deferred = 0;
    for (const obs of observations) {
      const logits = Array.from(fast.forward(obs).logits as Float32Array);
      expect(logits).toHaveLength(obs.mask.length);
      const valid = logits.map((z, a) => (obs.mask[a] === 1 ? z : Number.NEGATIVE_INFINITY));
      const max = Math.max(...valid);
      const logSum = max + Math.log(valid.reduce((s, z) => s + Math.exp(z - max), 0));
      const { action, logProb } = policy.decide(obs);
      expect(obs.mask[action]).toBe(1);
      expect(logProb).toBeCloseTo((logits[action] as number) - logSum, 5);
      if (action === obs.mask.length - 1) deferred += 1;
    }
    expect(deferred).toBeLessThan(observations.length);
  });

  it("Table 5's features: one row per scored task (each candidate's h_k)", () => {
    const features = new FeatureBuffer(16);
    const policy = policyFromNetwork(network, { mask: true, mode: 'greedy', features });
    for (const obs of observations) policy.act(obs);
    expect(features.samples).toBe(observations.reduce((sum, obs) => sum + (obs.k ?? 1), 0));
    const fast = new FastNetwork(network);
    const last = observations[observations.length - 1] as ObservationLike;
    const h = fast.forward(last).candidateFeatures;
    const values = features.values();
    expect(Array.from(values.subarray(values.length - h.length))).toEqual(Array.from(h));
  });
});

describe('DQN and SAC with task-and-server actions and defer', () => {
  const off = { stepsPerEnv: 32, learningStarts: 64, batchSize: 32, trainFrequency: 1, learningRate: 1e-3, bufferSize: 5000 } as const;

  it('DQN (cross-attention) learns which pair pays', async () => {
    const agent = new DQN(new PairBanditVecEnv(4, BANDIT), resolveMethod('dqn-crossattn'), { seed: 2, mask: true, config: { ...off, targetUpdateInterval: 64, explorationFraction: 0.3 }, model: MODEL });
    await agent.learn({ epochs: 8 });
    expect(greedyHits(agent, 60)).toBeGreaterThanOrEqual(0.9);
    agent.dispose();
  });

  it('SAC (cross-attention) learns which pair pays', async () => {
    const agent = new SAC(new PairBanditVecEnv(4, BANDIT), resolveMethod('sac-crossattn'), { seed: 3, mask: true, config: { ...off, trainFrequency: 2 }, model: MODEL });
    await agent.learn({ epochs: 8 });
    expect(greedyHits(agent, 60)).toBeGreaterThanOrEqual(0.9);
    agent.dispose();
  });

  it("observations copy and cross JSON whole (the off-policy agents' checkpointed n-step windows)", () => {
    const paper = { task: Float32Array.of(1, 2, 3, 4, 5), servers: new Float32Array(10).fill(0.5), mask: Uint8Array.of(1, 0), n: 2 };
    for (const obs of [paper, ...randomPairMinibatch(2, 4, 5, LAYOUT).observations]) {
      expect(copyObservation(obs)).toEqual(obs);
      expect(observationFromJson(JSON.parse(JSON.stringify(observationToJson(obs))))).toEqual(obs);
    }
    expect(Object.keys(copyObservation(paper))).toEqual(['task', 'servers', 'mask', 'n']);
    expect(isPaperObservation(paper)).toBe(true);
    expect(isPaperObservation({ ...paper, defer: false })).toBe(false);
  });

  it('the replay buffer checkpoints task-and-server observations whole (and paper ones in the paper layout)', () => {
    const data = randomPairMinibatch(6, 8, 5, LAYOUT);
    const buffer = new ReplayBuffer(10);
    data.observations.forEach((obs, i) => {
      buffer.add({ obs, action: data.actions[i] as number, reward: 0.5 * i, nextObs: data.observations[(i + 1) % 8] as ObservationLike, terminated: i === 3, discount: 0.99 });
    });
    const arrays = buffer.toArrays();
    expect(arrays.has('replay/observation-shapes')).toBe(true);
    const restored = new ReplayBuffer(10);
    restored.loadArrays(arrays);
    // Every item in order: a stream whose draws count up.
    const all = (b: ReplayBuffer) => {
      let next = 0;
      return b.sample(b.size, { int: () => next++ } as never);
    };
    expect(restored.size).toBe(8);
    expect(all(restored)).toEqual(all(buffer));
    expect(restored.toArrays()).toEqual(arrays);
    // 8 of 10 slots filled: the next add writes slot 8, and a checkpoint saying otherwise is corrupt.
    const wrongCursor = new Map(arrays).set('replay/cursor', { shape: [1], data: Float32Array.of(3) });
    expect(() => new ReplayBuffer(10).loadArrays(wrongCursor)).toThrow("checkpoint's replay/cursor: expected 8 (the item count: the buffer is not full), received 3");
    const paper = new ReplayBuffer(2);
    const obs = { task: new Float32Array(5), servers: new Float32Array(10), mask: Uint8Array.of(1, 0), n: 2 };
    paper.add({ obs, action: 0, reward: 1, nextObs: obs, terminated: false, discount: 0.9 });
    expect([...paper.toArrays().keys()]).toEqual(['replay/header', 'replay/tasks', 'replay/servers', 'replay/masks', 'replay/cursor']);
  });
});
