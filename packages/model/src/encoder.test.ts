import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { batchObservations } from './batch.js';
import { maxAbsDiff, randomCandidateObservation, randomObservation } from './internal/test-utils.js';
import { Network } from './network.js';

/**
 * The paper's encoder written the textbook way, for one observation: keys K = E W_k and values
 * V = E W_v for every server, per-head softmax(q K^T / sqrt(d_head)) V, concatenated heads.
 */
function textbookFeature(net: Network, task: Float32Array, servers: Float32Array, n: number): Float32Array {
  const p = (name: string) => net.params.get(name);
  return tf.tidy(() => {
    const mlp2 = (x: tf.Tensor2D, name: string) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, p(`${name}/0/w`)), p(`${name}/0/b`))), p(`${name}/1/w`)), p(`${name}/1/b`)) as tf.Tensor2D;
    const ln = (x: tf.Tensor2D, name: string) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), p(`${name}/gamma`)), p(`${name}/beta`)) as tf.Tensor2D;
    };
    let x = mlp2(tf.tensor2d(task, [1, 5]), 'encoder/task_embed');
    const E = mlp2(tf.tensor2d(servers, [n, 5]), 'encoder/server_embed');
    const H = 4;
    const dh = 4;
    for (let k = 0; k < 2; k++) {
      const b = `encoder/block${k}`;
      const q = tf.add(tf.matMul(x, p(`${b}/query/w`)), p(`${b}/query/b`));
      const K = tf.matMul(E, p(`${b}/key/w`));
      const V = tf.add(tf.matMul(E, p(`${b}/value/w`)), p(`${b}/value/b`));
      const heads: tf.Tensor[] = [];
      for (let h = 0; h < H; h++) {
        const qh = tf.slice(q, [0, h * dh], [1, dh]);
        const Kh = tf.slice(K, [0, h * dh], [n, dh]);
        const Vh = tf.slice(V, [0, h * dh], [n, dh]);
        const a = tf.softmax(tf.div(tf.matMul(qh, Kh, false, true), Math.sqrt(dh)));
        heads.push(tf.matMul(a, Vh));
      }
      const attention = tf.add(tf.matMul(tf.concat(heads, 1), p(`${b}/out/w`)), p(`${b}/out/b`));
      x = ln(tf.add(x, attention) as tf.Tensor2D, `${b}/ln1`);
      const hidden = tf.add(tf.matMul(x, p(`${b}/ffn1/w`)), p(`${b}/ffn1/b`));
      const gelu = tf.mul(tf.mul(hidden, 0.5), tf.add(1, tf.erf(tf.div(hidden, Math.SQRT2))));
      x = ln(tf.add(x, tf.add(tf.matMul(gelu, p(`${b}/ffn2/w`)), p(`${b}/ffn2/b`))) as tf.Tensor2D, `${b}/ln2`);
    }
    return x.dataSync() as Float32Array;
  });
}

// On cpu through tfjs's kernels, on wasm through SCALE-TS's (internal/kernels.ts).
describe.each(['cpu', 'wasm'])('cross-attention encoder (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('the folded attention computes the textbook multi-head cross-attention', () => {
    const net = new Network({ seed: 21 });
    for (const n of [1, 5, 32]) {
      const obs = randomObservation(new Rng(n), n);
      const ours = net.predict(batchObservations([obs])).feature;
      expect(maxAbsDiff(ours, textbookFeature(net, obs.task, obs.servers, n))).toBeLessThan(1e-5);
    }
    net.dispose();
  });

  it('with k candidates, each h_k is the textbook encoder on candidate k alone; the state feature is their mean', () => {
    const net = new Network({ actions: 'task-and-server', seed: 22 });
    const rng = new Rng(7);
    for (const [n, k] of [
      [1, 2],
      [5, 3],
      [12, 8],
    ] as const) {
      const obs = randomCandidateObservation(rng, n, k);
      const out = net.predict(batchObservations([obs]));
      const mean = new Float32Array(16);
      for (let c = 0; c < k; c++) {
        const alone = textbookFeature(net, (obs.tasks as Float32Array).subarray(c * 5, (c + 1) * 5), obs.servers, n);
        expect(maxAbsDiff(out.candidateFeatures.subarray(c * 16, (c + 1) * 16), alone)).toBeLessThan(1e-5);
        for (let i = 0; i < 16; i++) mean[i] = mean[i]! + alone[i]! / k;
      }
      expect(maxAbsDiff(out.feature, mean)).toBeLessThan(1e-5);
    }
    net.dispose();
  });

  it('the pointer logits are (W_q h + b_q) . (W_k e_j) / sqrt(d)', () => {
    const net = new Network({ seed: 5 });
    const obs = randomObservation(new Rng(4), 6);
    const out = net.predict(batchObservations([obs]));
    const expected = tf.tidy(() => {
      const h = tf.tensor2d(out.feature, [1, 16]);
      const p = (name: string) => net.params.get(name);
      const E = tf.add(
        tf.matMul(tf.relu(tf.add(tf.matMul(tf.tensor2d(obs.servers, [6, 5]), p('encoder/server_embed/0/w')), p('encoder/server_embed/0/b'))), p('encoder/server_embed/1/w')),
        p('encoder/server_embed/1/b'),
      );
      const q = tf.add(tf.matMul(h, p('policy/query/w')), p('policy/query/b'));
      const k = tf.matMul(E, p('policy/key/w'));
      return tf.div(tf.matMul(q, k, false, true), 4).dataSync();
    });
    expect(maxAbsDiff(out.logits as Float32Array, expected)).toBeLessThan(1e-5);
    net.dispose();
  });
});
