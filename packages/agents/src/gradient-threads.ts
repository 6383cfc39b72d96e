import { Worker } from 'node:worker_threads';
import { type Network, currentBackend } from '@scale/model';
import { type MomentsData, combineMoments } from '@scale/srr';
import { ADDITIVE_DIAGNOSTICS, type GradientComputer, type MinibatchGradient, type MomentsExchange, type PpoShardSettings, type ShardArrays, ppoShardGradients } from './ppo-gradient.js';
import { ShardChannel, Slot, type UpdateWorkerData, readDiagnostics, readMoments, shardFloats, writeMoments } from './internal/shard-channel.js';
import { typeScriptWorkerScript } from './internal/worker-entry.js';

/** How long the training thread waits on an update thread before calling it stalled. */
const STALL_MS = 120_000;

interface UpdateThread {
  readonly worker: Worker;
  readonly channel: ShardChannel;
  /** Steps sent to this thread so far (its sequence number). */
  sequence: number;
}

/**
 * Data-parallel minibatch gradients for PPO: this thread and `threads - 1` worker threads, each
 * with its own copy of the network on its own tfjs backend, compute the gradient of one shard of
 * the minibatch; the gradients are summed here in thread order (so a run is deterministic for a
 * given thread count). The parameters go out before each step, so the workers hold no state of
 * their own beyond the shard in flight.
 */
export class GradientThreads implements GradientComputer {
  private workers: UpdateThread[] = [];
  private capacity = 0;

  constructor(
    private readonly network: Network,
    readonly threads: number,
    private readonly settings: Omit<PpoShardSettings, 'epoch'>,
  ) {
    if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`GradientThreads: expected at least 2 threads, received ${threads}`);
  }

  /**
   * The summed gradient of the shards (shard 0 on this thread) at `parameters`, and the minibatch's
   * diagnostics: PPO terms summed over shards, SRR terms (the same on every shard) from shard 0.
   * A single shard (a minibatch smaller than the thread count) stays on this thread.
   */
  compute(shards: readonly ShardArrays[], epoch: number, parameters: Float32Array): MinibatchGradient {
    if (shards.length < 1 || shards.length > this.threads) throw new RangeError(`GradientThreads: expected 1 to ${this.threads} shards, received ${shards.length}`);
    if (shards.length === 1) return ppoShardGradients(this.network, shards[0] as ShardArrays, { ...this.settings, epoch }, null);
    const { taskFeatures, serverFeatures } = this.network.config;
    const needed = Math.max(...shards.map((s) => shardFloats(s.batch, taskFeatures, serverFeatures)));
    if (needed > this.capacity) this.start(needed, parameters.length);
    const remoteShards = shards.slice(1);
    const active = this.workers.slice(0, remoteShards.length);
    active.forEach((thread, k) => {
      thread.sequence += 1;
      thread.channel.params.set(parameters);
      thread.channel.writeShard(remoteShards[k] as ShardArrays, epoch, taskFeatures, serverFeatures);
      thread.channel.signal(Slot.command, thread.sequence);
    });
    const featureSize = this.network.encoder.featureSize;
    const exchange: MomentsExchange = (local) => {
      const all: MomentsData[] = [local];
      for (const [k, thread] of active.entries()) {
        thread.channel.waitFor(Slot.moments, thread.sequence, STALL_MS, k + 1);
        all.push(readMoments(thread.channel.momentsOut, featureSize));
      }
      active.forEach((thread, k) => {
        writeMoments(thread.channel.momentsIn, combineExcept(all, k + 1));
        thread.channel.signal(Slot.remote, thread.sequence);
      });
      return combineExcept(all, 0);
    };
    const own = ppoShardGradients(this.network, shards[0] as ShardArrays, { ...this.settings, epoch }, this.settings.srr === null ? null : exchange);
    const { gradients, diagnostics } = own;
    for (const [k, thread] of active.entries()) {
      thread.channel.waitFor(Slot.done, thread.sequence, STALL_MS, k + 1);
      const theirs = thread.channel.gradients;
      for (let i = 0; i < gradients.length; i++) gradients[i] = (gradients[i] as number) + (theirs[i] as number);
      // The PPO terms are shard-weighted and add up; the SRR terms are already the minibatch's.
      const their = readDiagnostics(thread.channel.diagnostics);
      for (const name of ADDITIVE_DIAGNOSTICS) diagnostics[name] += their[name];
    }
    return { gradients, diagnostics };
  }

  /** (Re)starts the worker threads with room for shards of `needed` floats, and waits until they are ready. */
  private start(needed: number, parameters: number): void {
    this.dispose();
    this.capacity = Math.max(needed * 2, 1 << 16);
    const shape = { parameters, featureSize: this.network.encoder.featureSize, capacity: this.capacity };
    const entry = updateWorkerEntry();
    for (let thread = 1; thread < this.threads; thread++) {
      const channel = ShardChannel.create(shape);
      const workerData: UpdateWorkerData = {
        buffer: channel.buffer,
        parameters: shape.parameters,
        featureSize: shape.featureSize,
        capacity: shape.capacity,
        thread,
        backend: currentBackend(),
        model: this.network.config,
        settings: this.settings,
      };
      const worker = new Worker(entry.script, { eval: entry.eval, workerData });
      // A worker blocked in Atomics.wait must never keep the process alive on its own.
      worker.unref();
      this.workers.push({ worker, channel, sequence: 0 });
    }
    for (const [k, thread] of this.workers.entries()) thread.channel.waitFor(Slot.ready, 1, STALL_MS, k + 1);
  }

  dispose(): void {
    for (const thread of this.workers) void thread.worker.terminate();
    this.workers = [];
    this.capacity = 0;
  }
}

/** Combines every shard's moments but one, in shard order (each thread gets the same order). */
function combineExcept(all: readonly MomentsData[], skip: number): MomentsData {
  let combined: MomentsData | null = null;
  for (const [index, moments] of all.entries()) {
    if (index === skip) continue;
    combined = combined === null ? moments : combineMoments(combined, moments);
  }
  return combined as MomentsData;
}

/**
 * The update thread's entry. Built (`dist/`), it is the bundled `update-worker.js` beside this
 * module; run from source (vitest, tsx), the TypeScript module through tsx.
 */
function updateWorkerEntry(): { script: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { script: new URL('./update-worker.js', here), eval: false };
  return { script: typeScriptWorkerScript(new URL('./internal/update-worker.ts', here)), eval: true };
}
