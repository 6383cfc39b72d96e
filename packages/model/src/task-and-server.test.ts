import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng } from '@scale/workload';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { type ObservationLike, batchObservations, batchTensors } from './batch.js';
import type { ModelConfigInput } from './config.js';
import { ObservationLayoutError } from './errors.js';
import { FastNetwork } from './fast.js';
import { type LayoutOptions, maxAbsDiff, permuteCandidateServers, permuteCandidates, randomCandidateObservation, randomObservation } from './internal/test-utils.js';
import { Network } from './network.js';
import { PackedAdam } from './optimizer.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const ALL_HEADS = { policy: true, value: true, q: true } as const;

/** Every issue-14 combination the tests cover, with the observation options each needs. */
const LAYOUTS: readonly { name: string; config: ModelConfigInput; options: LayoutOptions }[] = [
  { name: 'task-and-server', config: { actions: 'task-and-server' }, options: {} },
  { name: 'task-and-server + defer', config: { actions: 'task-and-server', defer: true }, options: { defer: true } },
  { name: 'task-and-server + global', config: { actions: 'task-and-server', globalFeatures: 4 }, options: { global: 4 } },
  { name: 'task-and-server + pairs', config: { actions: 'task-and-server', pairFeatures: 1 }, options: { pairs: true } },
  {
    name: 'task-and-server + defer + global + pairs',
    config: { actions: 'task-and-server', defer: true, globalFeatures: 3, pairFeatures: 1 },
    options: { defer: true, global: 3, pairs: true },
  },
];

/** A network whose pair weights are non-zero (they start at zero), so the pair term is exercised. */
function network(config: ModelConfigInput, seed: number): Network {
  const net = new Network({ ...config, outputs: ALL_HEADS, seed });
  for (const name of ['policy/pair/w', 'q/pair/w']) if (net.params.names().includes(name)) net.params.get(name).assign(tf.tensor2d([[0.37]]));
  return net;
}

function expectClose(a: { feature: Float32Array; candidateFeatures: Float32Array; logits: Float32Array | null; q: Float32Array | null; value: number }, b: ReturnType<Network['predict']>): void {
  expect(maxAbsDiff(a.feature, b.feature)).toBeLessThan(1e-5);
  expect(maxAbsDiff(a.candidateFeatures, b.candidateFeatures)).toBeLessThan(1e-5);
  expect(maxAbsDiff(a.logits as Float32Array, b.logits as Float32Array)).toBeLessThan(1e-5);
  expect(maxAbsDiff(a.q as Float32Array, b.q as Float32Array)).toBeLessThan(1e-5);
  expect(Math.abs(a.value - (b.value as Float32Array)[0]!)).toBeLessThan(1e-5);
}

describe('config', () => {
  it('refuses the options the mlp encoder cannot serve, naming the field', () => {
    expect(() => new Network({ encoder: 'mlp', servers: 4, actions: 'task-and-server' })).toThrow(ConfigError);
    expect(() => new Network({ encoder: 'mlp', servers: 4, actions: 'task-and-server' })).toThrow(/model\.actions: expected "server" with encoder mlp/);
    expect(() => new Network({ encoder: 'mlp', servers: 4, defer: true })).toThrow(/model\.defer: expected false with encoder mlp/);
    expect(() => new Network({ encoder: 'mlp', servers: 4, globalFeatures: 2 })).toThrow(/model\.globalFeatures: expected 0 with encoder mlp/);
    expect(() => new Network({ encoder: 'mlp', servers: 4, pairFeatures: 1 })).toThrow(/model\.pairFeatures: expected 0 with encoder mlp/);
    expect(() => new Network({ candidates: 0 })).toThrow(/model\.candidates: expected a number >= 1/);
    expect(() => new Network({ candidates: 65 })).toThrow(/model\.candidates: expected a number <= 64/);
    expect(() => new Network({ globalFeatures: 65 })).toThrow(/model\.globalFeatures/);
    expect(() => new Network({ pairFeatures: 2 as 1 })).toThrow(/model\.pairFeatures/);
  });

  it('resolves the defaults without storing them: a paper network has none of the new keys or parameters', () => {
    const paper = new Network({});
    expect(paper.layout).toEqual({ actions: 'server', defer: false, globalFeatures: 0, pairFeatures: 0, candidates: 1, paper: true });
    expect(Object.keys(paper.config)).not.toContain('actions');
    const full = new Network({ actions: 'task-and-server', defer: true, globalFeatures: 2, pairFeatures: 1 });
    expect(full.layout).toMatchObject({ candidates: 8, paper: false });
    const added = full.params.names().filter((name) => !paper.params.names().includes(name));
    expect(added).toEqual([
      'encoder/global_embed/0/w',
      'encoder/global_embed/0/b',
      'encoder/global_embed/1/w',
      'encoder/global_embed/1/b',
      'policy/pair/w',
      'policy/defer/0/w',
      'policy/defer/0/b',
      'policy/defer/1/w',
      'policy/defer/1/b',
    ]);
    // The new parameters come last, so the paper's start from the same values with any layout.
    const paperValues = paper.params.read();
    const fullValues = full.params.read();
    for (const name of paper.params.names()) expect(fullValues.get(name)).toEqual(paperValues.get(name));
    paper.dispose();
    full.dispose();
  });
});

describe('fast path equals the tfjs forward', () => {
  for (const layout of LAYOUTS) {
    it(`${layout.name}: random k and N, all heads (within 1e-5)`, () => {
      const net = network(layout.config, 21);
      const fast = new FastNetwork(net);
      const rng = new Rng(4);
      for (const n of [1, 5, 16, 48]) {
        for (const k of [1, 3, 8]) {
          const obs = randomCandidateObservation(rng, n, k, layout.options);
          const quick = fast.forward(obs);
          expect(quick.logits).toHaveLength(k * n + (layout.options.defer === true ? 1 : 0));
          expect(quick.candidateFeatures).toHaveLength(k * 16);
          expectClose(quick, net.predict(batchObservations([obs])));
        }
      }
      net.dispose();
    });
  }

  it('server mode with defer, global context and pairs', () => {
    const net = network({ defer: true, globalFeatures: 2, pairFeatures: 1 }, 5);
    const fast = new FastNetwork(net);
    const rng = new Rng(8);
    for (const n of [1, 7, 33]) {
      const obs = randomCandidateObservation(rng, n, 1, { defer: true, global: 2, pairs: true });
      const { k: _k, tasks: _tasks, ...serverObs } = obs; // server mode: no candidate fields
      expectClose(fast.forward(serverObs), net.predict(batchObservations([serverObs])));
    }
    net.dispose();
  });

  it('N = 1024 with the default cap of 8 candidates', () => {
    const net = network(LAYOUTS[4]!.config, 2);
    const obs = randomCandidateObservation(new Rng(3), 1024, 8, LAYOUTS[4]!.options);
    expectClose(new FastNetwork(net).forward(obs), net.predict(batchObservations([obs])));
    net.dispose();
  });
});

describe('k = 1 without defer, global or pairs is the server network', () => {
  it('same seed, same outputs, exactly (tfjs and fast path, mixed N)', () => {
    const server = new Network({ outputs: ALL_HEADS, seed: 9 });
    const candidates = new Network({ actions: 'task-and-server', outputs: ALL_HEADS, seed: 9 });
    const rng = new Rng(12);
    const paper = [randomObservation(rng, 5), randomObservation(rng, 9), randomObservation(rng, 9)];
    const withK = paper.map((obs): ObservationLike => ({ ...obs, k: 1, tasks: obs.task }));
    const a = server.predict(batchObservations(paper));
    const b = candidates.predict(batchObservations(withK));
    expect(b.feature).toEqual(a.feature);
    expect(b.candidateFeatures).toEqual(a.feature);
    expect(b.logits).toEqual(a.logits);
    expect(b.q).toEqual(a.q);
    expect(b.value).toEqual(a.value);
    const fastServer = new FastNetwork(server);
    const fastCandidates = new FastNetwork(candidates);
    for (let i = 0; i < paper.length; i++) {
      const x = fastServer.forward(paper[i]!);
      const snapshot = { feature: Float32Array.from(x.feature), logits: Float32Array.from(x.logits!), q: Float32Array.from(x.q!), value: x.value };
      const y = fastCandidates.forward(withK[i]!);
      expect(y.feature).toEqual(snapshot.feature);
      expect(y.candidateFeatures).toEqual(snapshot.feature);
      expect(y.logits).toEqual(snapshot.logits);
      expect(y.q).toEqual(snapshot.q);
      expect(y.value).toBe(snapshot.value);
    }
    server.dispose();
    candidates.dispose();
  });
});

describe('independence from the order of servers and candidates', () => {
  const layout = LAYOUTS[4]!;
  const net = network(layout.config, 13);
  const fast = new FastNetwork(net);
  const instance = fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.integer())
    .chain(([n, k, seed]) =>
      fc.tuple(
        fc.constant(n),
        fc.constant(k),
        fc.constant(seed),
        fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
        fc.shuffledSubarray([...Array(k).keys()], { minLength: k, maxLength: k }),
      ),
    );

  it('permuting servers permutes the logits within every candidate block; h, the value and defer are unchanged', () => {
    fc.assert(
      fc.property(instance, ([n, k, seed, servers]) => {
        const obs = randomCandidateObservation(new Rng(seed), n, k, layout.options);
        const permuted = permuteCandidateServers(obs, servers);
        const out = net.predict(batchObservations([obs, permuted]));
        const A = k * n + 1;
        const logits = out.logits as Float32Array;
        const q = out.q as Float32Array;
        expect(maxAbsDiff(out.feature.subarray(0, 16), out.feature.subarray(16))).toBeLessThan(1e-5);
        expect(maxAbsDiff(out.candidateFeatures.subarray(0, k * 16), out.candidateFeatures.subarray(k * 16))).toBeLessThan(1e-5);
        expect(Math.abs(out.value![0]! - out.value![1]!)).toBeLessThan(1e-5);
        for (let c = 0; c < k; c++) {
          servers.forEach((from, to) => {
            expect(Math.abs(logits[A + c * n + to]! - logits[c * n + from]!)).toBeLessThan(1e-5);
            expect(Math.abs(q[A + c * n + to]! - q[c * n + from]!)).toBeLessThan(1e-5);
          });
        }
        expect(Math.abs(logits[A + k * n]! - logits[k * n]!)).toBeLessThan(1e-5);
      }),
      { numRuns: 25 },
    );
  });

  it('permuting candidates permutes the logit blocks and the candidate features; h, the value and defer are unchanged', () => {
    fc.assert(
      fc.property(instance, ([n, k, seed, , candidates]) => {
        const obs = randomCandidateObservation(new Rng(seed), n, k, layout.options);
        const permuted = permuteCandidates(obs, candidates);
        const a = fast.forward(obs);
        const snapshot = { feature: Float32Array.from(a.feature), h: Float32Array.from(a.candidateFeatures), logits: Float32Array.from(a.logits!), value: a.value };
        const b = fast.forward(permuted);
        expect(maxAbsDiff(b.feature, snapshot.feature)).toBeLessThan(1e-5);
        expect(Math.abs(b.value - snapshot.value)).toBeLessThan(1e-5);
        candidates.forEach((from, to) => {
          expect(maxAbsDiff(b.logits!.subarray(to * n, (to + 1) * n), snapshot.logits.subarray(from * n, (from + 1) * n))).toBeLessThan(1e-5);
          expect(maxAbsDiff(b.candidateFeatures.subarray(to * 16, (to + 1) * 16), snapshot.h.subarray(from * 16, (from + 1) * 16))).toBeLessThan(1e-5);
        });
        expect(Math.abs(b.logits![k * n]! - snapshot.logits[k * n]!)).toBeLessThan(1e-5);
      }),
      { numRuns: 25 },
    );
  });
});

describe('padded batches', () => {
  it('a batch of mixed k and N gives each row its own result; padded actions are masked; candidate features are the present ones', () => {
    const layout = LAYOUTS[4]!;
    const net = network(layout.config, 17);
    const rng = new Rng(6);
    const shapes: [number, number][] = [
      [3, 2],
      [7, 5],
      [1, 1],
      [7, 3],
    ];
    const observations = shapes.map(([n, k]) => randomCandidateObservation(rng, n, k, layout.options));
    const batch = batchObservations(observations);
    expect(batch.k).toBe(5);
    expect(batch.n).toBe(7);
    expect(batch.actions).toBe(36);
    const together = net.predict(batch);
    let candidateRow = 0;
    observations.forEach((obs, b) => {
      const alone = net.predict(batchObservations([obs]));
      const [n, k] = shapes[b]!;
      expect(maxAbsDiff(together.feature.subarray(b * 16, (b + 1) * 16), alone.feature)).toBeLessThan(1e-5);
      expect(Math.abs(together.value![b]! - alone.value![0]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(together.candidateFeatures.subarray(candidateRow * 16, (candidateRow + k) * 16), alone.candidateFeatures)).toBeLessThan(1e-5);
      candidateRow += k;
      const row = (together.logits as Float32Array).subarray(b * 36, (b + 1) * 36);
      const qRow = (together.q as Float32Array).subarray(b * 36, (b + 1) * 36);
      for (let c = 0; c < 5; c++) {
        for (let j = 0; j < 7; j++) {
          if (c < k && j < n) {
            expect(Math.abs(row[c * 7 + j]! - alone.logits![c * n + j]!)).toBeLessThan(1e-5);
            expect(Math.abs(qRow[c * 7 + j]! - alone.q![c * n + j]!)).toBeLessThan(1e-5);
          } else {
            expect(row[c * 7 + j]).toBeLessThan(-1e8);
            expect(qRow[c * 7 + j]).toBeLessThan(-1e8);
            expect(batch.mask[b * 36 + c * 7 + j]).toBe(0);
          }
        }
      }
      expect(Math.abs(row[35]! - alone.logits![k * n]!)).toBeLessThan(1e-5); // defer, last
      expect(batch.mask[b * 36 + 35]).toBe(obs.mask[k * n]);
    });
    expect(together.candidateFeatures).toHaveLength(11 * 16);
    net.dispose();
  });
});

describe('layout errors', () => {
  it('a batch or observation the config does not read is refused with the field named', () => {
    const net = new Network({ actions: 'task-and-server', candidates: 4, defer: true });
    const fast = new FastNetwork(net);
    const rng = new Rng(1);
    const tooMany = randomCandidateObservation(rng, 3, 5, { defer: true });
    expect(() => net.predict(batchObservations([tooMany]))).toThrow(ObservationLayoutError);
    expect(() => net.predict(batchObservations([tooMany]))).toThrow(/batch: k: expected at most 4 \(model\.candidates\), received 5/);
    expect(() => fast.forward(tooMany)).toThrow(/observation: k: expected an integer in \[1, 4\]/);
    const noDefer = randomCandidateObservation(rng, 3, 2);
    expect(() => net.predict(batchObservations([noDefer]))).toThrow(/batch: defer: expected true \(model\.defer\), received false/);
    expect(() => fast.forward(noDefer)).toThrow(/observation: defer: expected true/);
    const withGlobal = randomCandidateObservation(rng, 3, 2, { defer: true, global: 2 });
    expect(() => fast.forward(withGlobal)).toThrow(/observation: global: expected 0 values \(model\.globalFeatures\), received 2/);
    net.dispose();
    const server = new Network({});
    expect(() => server.predict(batchObservations([randomCandidateObservation(rng, 3, 2)]))).toThrow(/batch: k: expected 1 \(actions: server\), received 2/);
    server.dispose();
  });

  it('batchObservations names the observation and the field', () => {
    const rng = new Rng(2);
    const good = randomCandidateObservation(rng, 4, 2, { defer: true, pairs: true });
    expect(() => batchObservations([good, { ...good, mask: good.mask.subarray(1) }])).toThrow(/observation 1: mask: expected k \* n \+ 1 = 9 entries, received 8/);
    expect(() => batchObservations([good, { ...good, defer: false }])).toThrow(/observation 1: defer: expected true \(as observation 0\)/);
    expect(() => batchObservations([good, { ...good, pairs: good.pairs!.subarray(2) }])).toThrow(/observation 1: pairs: expected k \* n \* 1 = 8 values, received 6/);
    expect(() => batchObservations([{ ...good, tasks: good.tasks!.subarray(1) }])).toThrow(/observation 0: tasks: expected k \* 5 = 10 values, received 9/);
  });
});

describe('gradients and memory', () => {
  function trainingStep(net: Network, adam: PackedAdam, batch: ReturnType<typeof batchObservations>): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const input = batchTensors(batch);
      const variables = net.trainableVariables();
      const { grads } = tf.variableGrads(() => {
        const out = net.apply(input);
        const logProbs = tf.logSoftmax(out.logits!);
        const srrLike = tf.mean(tf.square(out.candidateFeatures));
        return tf.add(tf.add(tf.mean(tf.square(out.value!)), tf.neg(tf.mean(tf.max(logProbs, 1)))), tf.add(tf.mean(tf.mul(out.q!, input.mask)), srrLike)) as tf.Scalar;
      }, variables);
      const norms: Record<string, tf.Tensor> = {};
      for (const [index, name] of net.params.names().entries()) norms[name] = tf.keep(tf.norm(grads[variables[index]!.name]!));
      adam.apply(
        variables.map((v) => grads[v.name]!),
        1e-3,
      );
      return norms;
    });
  }

  it.each(['wasm', 'cpu'])('a padded batch\'s gradient is the sum of its rows\' gradients (candidate features, logits, Q, value; %s)', async (backend) => {
    await useBackend(backend);
    const layout = LAYOUTS[4]!;
    const net = network(layout.config, 8);
    const rng = new Rng(10);
    const observations = [randomCandidateObservation(rng, 4, 3, layout.options), randomCandidateObservation(rng, 6, 1, layout.options)];
    const gradients = (obs: ObservationLike[]): Float32Array[] =>
      tf.tidy(() => {
        const input = batchTensors(batchObservations(obs));
        const variables = net.trainableVariables();
        // 1 on real actions, 0 on padding (a constant: no gradient through the comparison).
        const isReal = input.actionBias ? tf.cast(tf.equal(input.actionBias, 0), 'float32') : tf.onesLike(input.mask);
        const { grads } = tf.variableGrads(() => {
          const out = net.apply(input);
          const real = tf.mul(out.logits!, isReal);
          const loss = tf.add(tf.add(tf.sum(tf.square(out.candidateFeatures)), tf.sum(real)), tf.sum(out.value!));
          return tf.add(loss, tf.sum(tf.mul(out.q!, isReal))) as tf.Scalar;
        }, variables);
        return variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
      });
    const together = gradients(observations);
    const first = gradients([observations[0]!]);
    const second = gradients([observations[1]!]);
    together.forEach((g, i) => {
      const sum = Float32Array.from(g, (_, j) => first[i]![j]! + second[i]![j]!);
      expect(maxAbsDiff(g, sum)).toBeLessThan(1e-4);
    });
    net.dispose();
    await useBackend('wasm');
  });

  it('the new parameters get gradients; tf.memory() is stable over many forwards and steps', () => {
    const layout = LAYOUTS[4]!;
    const net = network(layout.config, 4);
    const fast = new FastNetwork(net);
    const adam = new PackedAdam(net.trainableVariables(), { epsilon: 1e-5, maxGradNorm: 0.5 });
    const rng = new Rng(3);
    const observations = Array.from({ length: 8 }, (_, i) => randomCandidateObservation(rng, 3 + (i % 4), 1 + (i % 5), layout.options));
    const batch = batchObservations(observations);
    const first = trainingStep(net, adam, batch);
    for (const name of ['encoder/global_embed/0/w', 'encoder/global_embed/1/w', 'policy/pair/w', 'policy/defer/0/w', 'policy/defer/1/w', 'q/pair/w', 'q/defer/0/w', 'q/defer/1/w', 'encoder/block1/query/w']) {
      expect(first[name]!.dataSync()[0], name).toBeGreaterThan(0);
    }
    tf.dispose(Object.values(first));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      tf.dispose(Object.values(trainingStep(net, adam, batch)));
      net.predict(batch);
      fast.forward(observations[i % 8]!);
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});
