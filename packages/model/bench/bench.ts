/**
 * `pnpm --filter @scale/model bench`: forward passes (fast path and tfjs, batch 1/4/64) and a
 * PPO-sized training step (batch 256: forward, clipped-surrogate + value + entropy loss, backward,
 * Adam with gradient clipping) at N = 16 and 48, per available backend; on wasm, SCALE-TS's matMul
 * kernel against tfjs's own at the training step's shapes. Then issue 14's task-and-server network
 * (k = 8 candidates, with defer, a global context and the pair feature): the fast forward at N = 16
 * and 1,024, the tfjs forward (batch 1) and the PPO-sized training step (batch 256) at N = 16, on
 * wasm; the training step also with each row's k drawn from the paper workload's candidate counts at
 * caps 8, 4 and 1 (padded candidates), beside the paper network's step. One JSON line per figure.
 * Usage: bench.ts [--backends wasm,cpu] [--quick] [--only server|task-and-server]
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';
import {
  BACKENDS,
  FastNetwork,
  Network,
  type ObservationBatch,
  PackedAdam,
  actionCount,
  batchActions,
  batchObservations,
  batchTensors,
  useBackend,
} from '../src/index.js';
import { matMul } from '../src/internal/kernels.js';
import { randomCandidateObservation, randomObservation } from '../src/internal/test-utils.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendArg = args[args.indexOf('--backends') + 1];
const backends = args.includes('--backends') && backendArg !== undefined ? backendArg.split(',') : ['wasm', 'cpu', 'tensorflow'];
const onlyArg = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
if (onlyArg !== undefined && onlyArg !== 'server' && onlyArg !== 'task-and-server') {
  console.error(`--only: expected server or task-and-server, received ${onlyArg}`);
  process.exit(2);
}
const runServer = onlyArg !== 'task-and-server';
const runTaskAndServer = onlyArg !== 'server';

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

/** Median seconds per call of `fn` over `rounds` rounds of `iterations` calls. */
function measure(fn: () => void, iterations: number, rounds = 5): number {
  for (let i = 0; i < Math.max(3, iterations / 10); i++) fn();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    times.push((performance.now() - start) / iterations / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const rng = new Rng(1);

// The fast path does not depend on the backend: measure it once.
await useBackend('cpu');
for (const n of runServer ? [16, 48] : []) {
  const net = new Network({});
  const fast = new FastNetwork(net);
  const obs = randomObservation(rng, n);
  const seconds = measure(() => fast.forward(obs), quick ? 2000 : 20000);
  emit({ what: 'forward-fast', N: n, batch: 1, microseconds: Math.round(seconds * 1e7) / 10 });
  net.dispose();
}

for (const backend of runServer ? backends : []) {
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new Error(`--backends: unknown backend ${backend}`);
  try {
    await useBackend(backend);
  } catch (error) {
    emit({ what: 'backend-unavailable', backend, reason: (error as Error).message });
    continue;
  }
  const slow = backend === 'cpu';
  for (const n of [16, 48]) {
    const net = new Network({});
    for (const size of [1, 4, 64]) {
      const batch = batchObservations(Array.from({ length: size }, () => randomObservation(rng, n)));
      const seconds = measure(() => net.predict(batch), quick || slow ? 20 : 200);
      emit({ what: 'forward', backend, N: n, batch: size, microseconds: Math.round(seconds * 1e7) / 10 });
    }
    const B = 256;
    const batch = batchObservations(Array.from({ length: B }, () => randomObservation(rng, n)));
    const actions = Int32Array.from({ length: B }, (_, i) => i % n);
    const oldLogProb = new Float32Array(B).fill(-Math.log(n));
    const advantages = Float32Array.from({ length: B }, () => rng.normal(0, 1));
    const returns = Float32Array.from({ length: B }, () => rng.normal(0, 1));
    const variables = net.trainableVariables();
    const adam = new PackedAdam(variables, { epsilon: 1e-5, maxGradNorm: 0.5 });
    const step = () => {
      tf.tidy(() => {
        const input = batchTensors(batch);
        const act = tf.tensor1d(actions, 'int32');
        const old = tf.tensor1d(oldLogProb);
        const adv = tf.tensor1d(advantages);
        const ret = tf.tensor1d(returns);
        const { grads } = tf.variableGrads(() => {
          const out = net.apply(input);
          const logProbs = tf.logSoftmax(out.logits as tf.Tensor2D);
          const logProb = tf.sum(tf.mul(logProbs, tf.oneHot(act, n)), 1);
          const ratio = tf.exp(tf.sub(logProb, old));
          const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 0.8, 1.2), adv));
          const entropy = tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1)));
          const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(out.value as tf.Tensor1D, ret))));
          return tf.sub(tf.add(tf.neg(tf.mean(surrogate)), tf.mul(0.5, valueLoss)), tf.mul(0.01, entropy)) as tf.Scalar;
        }, variables);
        adam.apply(
          variables.map((v) => grads[v.name] as tf.Tensor),
          3e-4,
        );
      });
    };
    const seconds = measure(step, quick || slow ? 3 : 30, slow ? 3 : 5);
    emit({ what: 'train-step', backend, N: n, batch: B, milliseconds: Math.round(seconds * 1e5) / 100 });
    net.dispose();
  }
}

// SCALE-TS's matMul kernel (src/internal/kernels.wat) against tf.matMul, on wasm, at the shapes a
// PPO step at N = 16, batch 256 runs: attention scores and pooling (batched), a dense layer's
// backward (transposed), and a weight gradient.
if (runServer && backends.includes('wasm')) {
  await useBackend('wasm');
  const shapes: [string, number[], number[], boolean, boolean][] = [
    ['attention scores G E^T', [256, 4, 16], [256, 16, 16], false, true],
    ['attention pooling A E', [256, 4, 16], [256, 16, 16], false, false],
    ['pointer logits u E^T', [256, 1, 16], [256, 16, 16], false, true],
    ['dense backward dZ W^T', [4096, 16], [16, 16], false, true],
    ['weight gradient X^T dZ', [4096, 16], [4096, 16], true, false],
  ];
  for (const [name, aShape, bShape, transposeA, transposeB] of shapes) {
    const a = tf.randomNormal(aShape, 0, 1, 'float32', 1);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
    const ours = measure(() => matMul(a, b, transposeA, transposeB).dispose(), quick ? 50 : 500);
    const theirs = measure(() => tf.matMul(a, b, transposeA, transposeB).dispose(), quick ? 50 : 500);
    const us = (seconds: number) => Math.round(seconds * 1e7) / 10;
    emit({ what: 'matmul', name, a: aShape, b: bShape, transposeA, transposeB, scaleMicroseconds: us(ours), tfjsMicroseconds: us(theirs) });
    tf.dispose([a, b]);
  }
}

/** The PPO-sized loss of the server cases (clipped surrogate, value, entropy) on any action layout; one Adam step. */
function ppoStep(net: Network, adam: PackedAdam, batch: ObservationBatch, columns: Int32Array, oldLogProb: Float32Array, advantages: Float32Array, returns: Float32Array): void {
  tf.tidy(() => {
    const input = batchTensors(batch);
    const act = tf.tensor1d(columns, 'int32');
    const old = tf.tensor1d(oldLogProb);
    const adv = tf.tensor1d(advantages);
    const ret = tf.tensor1d(returns);
    const variables = net.trainableVariables();
    const { grads } = tf.variableGrads(() => {
      const out = net.apply(input);
      const logProbs = tf.logSoftmax(out.logits as tf.Tensor2D);
      const logProb = tf.sum(tf.mul(logProbs, tf.oneHot(act, batch.actions ?? batch.n)), 1);
      const ratio = tf.exp(tf.sub(logProb, old));
      const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 0.8, 1.2), adv));
      const entropy = tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1)));
      const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(out.value as tf.Tensor1D, ret))));
      return tf.sub(tf.add(tf.neg(tf.mean(surrogate)), tf.mul(0.5, valueLoss)), tf.mul(0.01, entropy)) as tf.Scalar;
    }, variables);
    adam.apply(
      variables.map((v) => grads[v.name] as tf.Tensor),
      3e-4,
    );
  });
}

// Issue 14: task-and-server with k = 8 candidates, defer, a global context (G = 4) and the pair feature.
if (runTaskAndServer) {
  const k = 8;
  const options = { defer: true, global: 4, pairs: true } as const;
  const config = { actions: 'task-and-server', defer: true, globalFeatures: 4, pairFeatures: 1, candidates: k } as const;
  await useBackend('cpu');
  for (const n of [16, 1024]) {
    const net = new Network(config);
    const fast = new FastNetwork(net);
    const obs = randomCandidateObservation(rng, n, k, options);
    const seconds = measure(() => fast.forward(obs), quick ? 200 : n > 100 ? 200 : 5000);
    emit({ what: 'forward-fast', actions: 'task-and-server', N: n, k, batch: 1, microseconds: Math.round(seconds * 1e7) / 10 });
    net.dispose();
  }
  if (backends.includes('wasm')) {
    await useBackend('wasm');
    const n = 16;
    const net = new Network(config);
    const one = batchObservations([randomCandidateObservation(rng, n, k, options)]);
    const seconds = measure(() => net.predict(one), quick ? 20 : 200);
    emit({ what: 'forward', actions: 'task-and-server', backend: 'wasm', N: n, k, batch: 1, microseconds: Math.round(seconds * 1e7) / 10 });
    const B = 256;
    const observations = Array.from({ length: B }, () => randomCandidateObservation(rng, n, k, options));
    const batch = batchObservations(observations);
    const columns = batchActions(
      batch,
      observations.map((obs, i) => i % actionCount(k, obs.n, true)),
    );
    const oldLogProb = new Float32Array(B).fill(-Math.log(actionCount(k, n, true)));
    const advantages = Float32Array.from({ length: B }, () => rng.normal(0, 1));
    const returns = Float32Array.from({ length: B }, () => rng.normal(0, 1));
    const adam = new PackedAdam(net.trainableVariables(), { epsilon: 1e-5, maxGradNorm: 0.5 });
    const stepSeconds = measure(() => ppoStep(net, adam, batch, columns, oldLogProb, advantages, returns), quick ? 3 : 10, quick ? 3 : 5);
    emit({ what: 'train-step', actions: 'task-and-server', backend: 'wasm', N: n, k, batch: B, milliseconds: Math.round(stepSeconds * 1e5) / 100 });
    net.dispose();
    // The same step with each row's k drawn from the paper workload's candidate counts at N = 16
    // (padded candidates: only the present ones run through the blocks), at caps 8 and 4 and 1, and
    // the paper network's step beside them. CPU milliseconds too: the machine is shared.
    const shares = [50.4, 16.7, 5.5, 2.6, 2.3, 2.5, 1.2, 18.8];
    const drawK = (cap: number): number => {
      let u = rng.next() * 100;
      for (let c = 1; c < cap; c++) {
        u -= shares[c - 1] as number;
        if (u < 0) return c;
      }
      return cap;
    };
    const timed = (step: () => void): { milliseconds: number; cpuMilliseconds: number } => {
      const cpu = process.cpuUsage();
      const rounds = quick ? 3 : 5;
      const iterations = quick ? 3 : 10;
      const seconds = measure(step, iterations, rounds);
      const used = process.cpuUsage(cpu);
      const calls = rounds * iterations + Math.max(3, iterations / 10);
      return { milliseconds: Math.round(seconds * 1e5) / 100, cpuMilliseconds: Math.round(((used.user + used.system) / 1000 / calls) * 100) / 100 };
    };
    for (const cap of [8, 4, 1]) {
      const mixedNet = new Network({ ...config, candidates: cap });
      const mixed = Array.from({ length: B }, () => randomCandidateObservation(rng, n, drawK(cap), options));
      const mixedBatch = batchObservations(mixed);
      const mixedColumns = batchActions(
        mixedBatch,
        mixed.map((obs, i) => i % actionCount(obs.k ?? 1, obs.n, true)),
      );
      const mixedAdam = new PackedAdam(mixedNet.trainableVariables(), { epsilon: 1e-5, maxGradNorm: 0.5 });
      const present = mixed.reduce((total, obs) => total + (obs.k ?? 1), 0);
      const figures = timed(() => ppoStep(mixedNet, mixedAdam, mixedBatch, mixedColumns, oldLogProb, advantages, returns));
      emit({ what: 'train-step', actions: 'task-and-server', candidates: 'paper workload at N = 16', backend: 'wasm', N: n, cap, present, batch: B, ...figures });
      mixedNet.dispose();
    }
    const paperNet = new Network({});
    const paperObservations = Array.from({ length: B }, () => randomObservation(rng, n));
    const paperBatch = batchObservations(paperObservations);
    const paperAdam = new PackedAdam(paperNet.trainableVariables(), { epsilon: 1e-5, maxGradNorm: 0.5 });
    const paperColumns = Int32Array.from({ length: B }, (_, i) => i % n);
    const paperFigures = timed(() => ppoStep(paperNet, paperAdam, paperBatch, paperColumns, oldLogProb, advantages, returns));
    emit({ what: 'train-step', actions: 'server (paper)', backend: 'wasm', N: n, batch: B, ...paperFigures });
    paperNet.dispose();
  }
}
