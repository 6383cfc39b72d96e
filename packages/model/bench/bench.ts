/**
 * `pnpm --filter @scale/model bench`: forward passes (fast path and tfjs, batch 1/4/64) and a
 * PPO-sized training step (batch 256: forward, clipped-surrogate + value + entropy loss, backward,
 * Adam with gradient clipping) at N = 16 and 48, per available backend; on wasm, SCALE-TS's matMul
 * kernel against tfjs's own at the training step's shapes. One JSON line per figure.
 * Usage: bench.ts [--backends wasm,cpu] [--quick]
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';
import { BACKENDS, FastNetwork, Network, PackedAdam, batchObservations, batchTensors, matMul, useBackend } from '../src/index.js';
import { randomObservation } from '../src/internal/test-utils.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendArg = args[args.indexOf('--backends') + 1];
const backends = args.includes('--backends') && backendArg !== undefined ? backendArg.split(',') : ['wasm', 'cpu', 'tensorflow'];

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
for (const n of [16, 48]) {
  const net = new Network({});
  const fast = new FastNetwork(net);
  const obs = randomObservation(rng, n);
  const seconds = measure(() => fast.forward(obs), quick ? 2000 : 20000);
  emit({ what: 'forward-fast', N: n, batch: 1, microseconds: Math.round(seconds * 1e7) / 10 });
  net.dispose();
}

for (const backend of backends) {
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
if (backends.includes('wasm')) {
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
