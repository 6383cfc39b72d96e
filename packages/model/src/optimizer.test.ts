import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { maxAbsDiff } from './internal/test-utils.js';
import { PackedAdam } from './optimizer.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('PackedAdam', () => {
  it('takes the same steps as tf.train.adam', () => {
    const init = [tf.tensor([[0.5, -1], [2, 0.25]]), tf.tensor([0.1, -0.3, 0.7])];
    const ours = init.map((t) => tf.variable(t.clone()));
    const theirs = init.map((t) => tf.variable(t.clone()));
    const adam = new PackedAdam(ours, { epsilon: 1e-5 });
    const reference = tf.train.adam(0.01, 0.9, 0.999, 1e-5);
    const loss = (vs: tf.Variable[]) => tf.add(tf.sum(tf.square(tf.sin(vs[0]!))), tf.sum(tf.pow(vs[1]!, 4))) as tf.Scalar;
    for (let step = 0; step < 20; step++) {
      const g = tf.variableGrads(() => loss(ours), ours);
      adam.apply(
        ours.map((v) => g.grads[v.name]!),
        0.01,
      );
      tf.dispose([g.value, ...Object.values(g.grads)]);
      reference.minimize(() => loss(theirs), false, theirs);
    }
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(ours[i]!.dataSync(), theirs[i]!.dataSync())).toBeLessThan(1e-5); // float64 here, float32 there
    expect(adam.getState().step).toBe(20);
    tf.dispose([...init, ...ours, ...theirs]);
    reference.dispose();
  });

  it('clips the global gradient norm like clip_grad_norm_', () => {
    const v = tf.variable(tf.tensor([0, 0]));
    const adam = new PackedAdam([v], { maxGradNorm: 0.5, beta1: 0, beta2: 0, epsilon: 0 });
    const grad = tf.tensor([3, 4]);
    const { gradNorm } = adam.apply([grad], 1);
    expect(gradNorm).toBeCloseTo(5, 6);
    // With beta1 = beta2 = 0 each coordinate moves by lr * sign(g): the clip scales g but not its sign.
    expect(Array.from(v.dataSync())).toEqual([-1, -1]);
    const state = adam.getState();
    expect(state.m[0]).toBeCloseTo((3 * 0.5) / (5 + 1e-6), 6);
    tf.dispose([v, grad]);
  });

  it('takes the same step from packed gradients (applyFlat) as from tensors, and checks their count', () => {
    const a = [tf.variable(tf.tensor([[1, 2], [3, 4]])), tf.variable(tf.tensor([5, 6]))];
    const b = a.map((v) => tf.variable(v.clone()));
    const grads = [tf.tensor([[0.1, -0.2], [0.3, -0.4]]), tf.tensor([0.5, -0.6])];
    const byTensors = new PackedAdam(a, { maxGradNorm: 0.5 });
    const byFlat = new PackedAdam(b, { maxGradNorm: 0.5 });
    expect(byFlat.size).toBe(6);
    byTensors.apply(grads, 0.1);
    byFlat.applyFlat(Float32Array.from([0.1, -0.2, 0.3, -0.4, 0.5, -0.6]), 0.1);
    for (let i = 0; i < 2; i++) expect(Array.from(b[i]!.dataSync())).toEqual(Array.from(a[i]!.dataSync()));
    expect(Array.from(byFlat.parameters)).toEqual([...a[0]!.dataSync(), ...a[1]!.dataSync()]);
    expect(() => byFlat.applyFlat(new Float32Array(5), 0.1)).toThrow(/expected 6 packed gradient values, received 5/);
    tf.dispose([...a, ...b, ...grads]);
  });
});
