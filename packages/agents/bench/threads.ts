/**
 * `tsx bench/threads.ts [--rows B] [--threads T]`: how well the network's forward + backward (one
 * gradient of a simple loss, read back) scales over threads on this machine, outside PPO. Runs the
 * same loop on T worker threads at once (T = 0: on the main thread alone) and prints ms per gradient
 * for each, one JSON line. The data-parallel update (`updateThreads`) can gain at most this.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { Network, batchObservations, batchTensors, useBackend } from '@scale/model';
import { typeScriptWorkerScript } from '../src/internal/worker-entry.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};

async function measure(rows: number): Promise<number> {
  await useBackend('wasm');
  const network = new Network({ seed: 1 });
  const observations = Array.from({ length: rows }, (_, i) => ({
    task: new Float32Array(5).fill(i % 3),
    servers: Float32Array.from({ length: 80 }, (_, j) => (j * 7 + i) % 5),
    mask: new Uint8Array(16).fill(1),
    n: 16,
  }));
  const variables = network.trainableVariables();
  const step = () =>
    tf.tidy(() => {
      const input = batchTensors(batchObservations(observations));
      const { grads } = tf.variableGrads(() => {
        const out = network.apply(input);
        return tf.add(tf.sum(out.logits as tf.Tensor), tf.sum(out.value as tf.Tensor)) as tf.Scalar;
      }, variables);
      tf.concat(variables.map((v) => tf.reshape(grads[v.name] as tf.Tensor, [-1]))).dataSync();
    });
  for (let i = 0; i < 100; i++) step();
  const start = performance.now();
  for (let i = 0; i < 300; i++) step();
  network.dispose();
  return (performance.now() - start) / 300;
}

if (!isMainThread) {
  parentPort?.postMessage(await measure(workerData as number));
} else {
  const rows = Number(flag('--rows', '128'));
  const threads = Number(flag('--threads', '0'));
  if (threads === 0) {
    console.log(JSON.stringify({ what: 'gradient-ms', rows, thread: 'main', ms: Number((await measure(rows)).toFixed(2)) }));
  } else {
    const results = await Promise.all(
      Array.from({ length: threads }, () => {
        const worker = new Worker(typeScriptWorkerScript(import.meta.url), { eval: true, workerData: rows });
        return new Promise<number>((resolve, reject) => {
          worker.once('message', (ms: number) => void worker.terminate().then(() => resolve(ms)));
          worker.once('error', reject);
        });
      }),
    );
    console.log(JSON.stringify({ what: 'gradient-ms', rows, thread: 'workers', threads, ms: results.map((ms) => Number(ms.toFixed(2))) }));
  }
}
