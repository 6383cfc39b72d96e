/**
 * An update thread of `GradientThreads`: builds its own copy of the network, then loops on the
 * shared channel: take the parameters and a shard, compute its gradient (trading feature moments
 * with the training thread mid-forward when SRR is on), write the gradient back. It blocks in
 * `Atomics.wait` between steps and is ended by `Worker.terminate()`.
 */
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, Network, useBackend } from '@scale/model';
import { ppoShardGradients } from '../ppo-gradient.js';
import { ShardChannel, Slot, type UpdateWorkerData, readMoments, writeDiagnostics, writeMoments } from './shard-channel.js';

const data = workerData as UpdateWorkerData;
const channel = new ShardChannel(data.buffer, { parameters: data.parameters, featureSize: data.featureSize, capacity: data.capacity });

try {
  await useBackend(data.backend as BackendName);
  const network = new Network(data.model);
  const variables = network.trainableVariables();
  const size = variables.reduce((a, v) => a + v.size, 0);
  if (size !== data.parameters) throw new RangeError(`the update thread's network has ${size} parameters, the training thread's ${data.parameters}`);
  const { taskFeatures, serverFeatures } = network.config;
  channel.signal(Slot.ready, 1);
  for (let sequence = 1; ; sequence++) {
    channel.waitFor(Slot.command, sequence, null, data.thread);
    let offset = 0;
    for (const variable of variables) {
      const values = channel.params.subarray(offset, offset + variable.size);
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      offset += variable.size;
    }
    const { shard, epoch } = channel.readShard(taskFeatures, serverFeatures);
    const exchange = (local: Parameters<typeof writeMoments>[1]) => {
      writeMoments(channel.momentsOut, local);
      channel.signal(Slot.moments, sequence);
      channel.waitFor(Slot.remote, sequence, null, data.thread);
      return readMoments(channel.momentsIn, data.featureSize);
    };
    const result = ppoShardGradients(network, shard, { ...data.settings, epoch }, data.settings.srr === null ? null : exchange);
    channel.gradients.set(result.gradients);
    writeDiagnostics(channel.diagnostics, result.diagnostics);
    channel.signal(Slot.done, sequence);
  }
} catch (error) {
  channel.fail(error);
}
