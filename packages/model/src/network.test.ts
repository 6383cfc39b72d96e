import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng } from '@scale/workload';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { batchObservations, batchTensors } from './batch.js';
import { ServerCountMismatchError } from './errors.js';
import { FastNetwork } from './fast.js';
import { maxAbsDiff, permuteServers, randomObservation } from './internal/test-utils.js';
import { Network } from './network.js';
import { PackedAdam } from './optimizer.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const ALL_HEADS = { policy: true, value: true, q: true } as const;

describe('config', () => {
  it('names the field and the allowed values', () => {
    expect(() => new Network({ encoder: 'mlp' })).toThrow(ConfigError);
    expect(() => new Network({ encoder: 'mlp' })).toThrow(/model\.servers/);
    expect(() => new Network({ embedDim: 16, attentionHeads: 3 })).toThrow(/model\.attentionHeads: expected a divisor of embedDim/);
    expect(() => new Network({ blocks: 0 })).toThrow(/model\.blocks/);
  });

  it('has the paper architecture by default', () => {
    const net = new Network({});
    const names = net.params.names();
    expect(names.filter((n) => n.startsWith('encoder/block')).length).toBe(2 * 15); // q(w,b) k(w) v(w,b) out(w,b) ln1 ffn1 ffn2 ln2 (2 each)
    expect(net.params.get('encoder/block0/ffn1/w').shape).toEqual([16, 64]);
    expect(net.params.get('value/0/w').shape).toEqual([16, 64]);
    expect(net.params.get('value/2/w').shape).toEqual([64, 1]);
    net.dispose();
  });
});

describe('fast path equals the tfjs forward', () => {
  it.each([1, 16, 48, 1024])('cross-attention at N = %i (all heads, within 1e-5)', (n) => {
    const net = new Network({ outputs: ALL_HEADS, seed: 3 });
    const fast = new FastNetwork(net);
    const rng = new Rng(n);
    for (let k = 0; k < 3; k++) {
      const obs = randomObservation(rng, n);
      const slow = net.predict(batchObservations([obs]));
      const quick = fast.forward(obs);
      expect(maxAbsDiff(quick.feature, slow.feature)).toBeLessThan(1e-5);
      expect(maxAbsDiff(quick.logits as Float32Array, slow.logits as Float32Array)).toBeLessThan(1e-5);
      expect(maxAbsDiff(quick.q as Float32Array, slow.q as Float32Array)).toBeLessThan(1e-5);
      expect(Math.abs(quick.value - (slow.value as Float32Array)[0]!)).toBeLessThan(1e-5);
    }
    net.dispose();
  });

  it('reusing the embeddings of unchanged servers gives the numbers of a fresh forward, bit for bit (changed rows, other N, new weights)', () => {
    const net = new Network({ outputs: ALL_HEADS, seed: 5 });
    const reused = new FastNetwork(net);
    const rng = new Rng(21);
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) => expect(Buffer.from(Float32Array.from(a).buffer).equals(Buffer.from(Float32Array.from(b).buffer))).toBe(true);
    const check = (obs: ReturnType<typeof randomObservation>) => {
      const fresh = new FastNetwork(net).forward(obs);
      const quick = reused.forward(obs);
      same(quick.feature, fresh.feature);
      same(quick.logits as Float32Array, fresh.logits as Float32Array);
      same(quick.q as Float32Array, fresh.q as Float32Array);
      expect(quick.value).toBe(fresh.value);
    };
    let obs = randomObservation(rng, 64);
    for (let step = 0; step < 12; step++) {
      check(obs);
      // The next decision: a few servers' features change, the task changes, N sometimes changes.
      const n = step === 5 ? 48 : step === 8 ? 64 : obs.n;
      const next = n === obs.n ? { ...obs, task: obs.task.map(() => rng.next()), servers: obs.servers.slice() } : randomObservation(rng, n);
      for (let c = 0; c < 3; c++) next.servers[rng.int(0, next.servers.length - 1)] = rng.next();
      obs = next;
    }
    // New weights: every embedding is recomputed.
    const scaled = new Map([...net.params.read()].map(([name, data]) => [name, { shape: net.params.get(name).shape, data: name === 'encoder/server_embed/0/w' ? data.map((v) => v * 1.5) : data }]));
    net.params.write(scaled);
    reused.refresh();
    check(obs);
    net.dispose();
  });

  it('structured MLP at its N (all heads, within 1e-5)', () => {
    const net = new Network({ encoder: 'mlp', servers: 16, outputs: ALL_HEADS, seed: 4 });
    const fast = new FastNetwork(net);
    const obs = randomObservation(new Rng(9), 16);
    const slow = net.predict(batchObservations([obs]));
    const quick = fast.forward(obs);
    expect(maxAbsDiff(quick.feature, slow.feature)).toBeLessThan(1e-5);
    expect(maxAbsDiff(quick.logits as Float32Array, slow.logits as Float32Array)).toBeLessThan(1e-5);
    expect(maxAbsDiff(quick.q as Float32Array, slow.q as Float32Array)).toBeLessThan(1e-5);
    expect(Math.abs(quick.value - (slow.value as Float32Array)[0]!)).toBeLessThan(1e-5);
    net.dispose();
  });

  it('follows the weights after refresh()', () => {
    const net = new Network({ seed: 1 });
    const fast = new FastNetwork(net);
    const obs = randomObservation(new Rng(2), 8);
    const before = Float32Array.from(fast.forward(obs).logits as Float32Array);
    const other = new Network({ seed: 2 });
    net.params.copyFrom(other.params);
    expect(maxAbsDiff(fast.forward(obs).logits as Float32Array, before)).toBe(0);
    fast.refresh();
    const after = fast.forward(obs).logits as Float32Array;
    expect(maxAbsDiff(after, net.predict(batchObservations([obs])).logits as Float32Array)).toBeLessThan(1e-5);
    expect(maxAbsDiff(after, before)).toBeGreaterThan(1e-6);
    net.dispose();
    other.dispose();
  });
});

describe('independence from the cluster size and order', () => {
  const net = new Network({ outputs: ALL_HEADS, seed: 11 });
  const fast = new FastNetwork(net);

  it('permuting servers permutes the logits and Q-values and leaves h and the value unchanged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }), fc.integer())),
        ([n, permutation, seed]) => {
          const obs = randomObservation(new Rng(seed), n);
          const permuted = permuteServers(obs, permutation);
          const out = net.predict(batchObservations([obs, permuted]));
          const logits = out.logits as Float32Array;
          const q = out.q as Float32Array;
          const value = out.value as Float32Array;
          expect(maxAbsDiff(out.feature.subarray(0, 16), out.feature.subarray(16))).toBeLessThan(1e-5);
          expect(Math.abs(value[0]! - value[1]!)).toBeLessThan(1e-5);
          permutation.forEach((from, to) => {
            expect(Math.abs(logits[n + to]! - logits[from]!)).toBeLessThan(1e-5);
            expect(Math.abs(q[n + to]! - q[from]!)).toBeLessThan(1e-5);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the same parameters run at N = 1, 16, 48 and 1024', () => {
    for (const n of [1, 16, 48, 1024]) {
      const out = net.predict(batchObservations([randomObservation(new Rng(n), n)]));
      expect(out.logits).toHaveLength(n);
      expect(out.q).toHaveLength(n);
      expect(out.feature).toHaveLength(16);
      expect(Number.isFinite(out.value![0]!)).toBe(true);
      expect(fast.forward(randomObservation(new Rng(n), n)).logits).toHaveLength(n);
    }
  });

  it('a padded batch of mixed N gives each row its own unpadded result; padding is never chosen', () => {
    const rng = new Rng(5);
    const small = randomObservation(rng, 3);
    const large = randomObservation(rng, 7);
    const mixed = net.predict(batchObservations([small, large]));
    const alone = net.predict(batchObservations([small]));
    expect(maxAbsDiff(mixed.feature.subarray(0, 16), alone.feature)).toBeLessThan(1e-5);
    expect(maxAbsDiff((mixed.logits as Float32Array).subarray(0, 3), alone.logits as Float32Array)).toBeLessThan(1e-5);
    for (let j = 3; j < 7; j++) expect((mixed.logits as Float32Array)[j]).toBeLessThan(-1e8);
  });

  it('an MLP network refuses any other N with a named error', () => {
    const mlp = new Network({ encoder: 'mlp', servers: 16 });
    const obs = randomObservation(new Rng(1), 17);
    expect(() => mlp.predict(batchObservations([obs]))).toThrow(ServerCountMismatchError);
    expect(() => new FastNetwork(mlp).forward(obs)).toThrow(/fixed N = 16, received observations with N = 17/);
    mlp.dispose();
  });
});

describe('gradients and memory', () => {
  it('no tensor leaks over many forward passes and training steps', () => {
    const net = new Network({ outputs: ALL_HEADS, seed: 2 });
    const adam = new PackedAdam(net.trainableVariables(), { epsilon: 1e-5, maxGradNorm: 0.5 });
    const rng = new Rng(3);
    const batch = batchObservations(Array.from({ length: 8 }, () => randomObservation(rng, 6)));
    const step = () => {
      tf.tidy(() => {
        const input = batchTensors(batch);
        const variables = net.trainableVariables();
        const { grads } = tf.variableGrads(() => {
          const out = net.apply(input);
          return tf.add(tf.mean(tf.square(out.value!)), tf.add(tf.mean(out.logits!), tf.mean(out.q!))) as tf.Scalar;
        }, variables);
        adam.apply(
          variables.map((v) => grads[v.name]!),
          1e-3,
        );
      });
      net.predict(batch);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});
