import { Worker } from 'node:worker_threads';
import { type Network, currentBackend } from '@scale/model';
import { type MomentsData, combineMoments } from '@scale/srr';
import { type MomentsExchange, type PpoShardSettings, SHARD_DIAGNOSTICS, ppoShardGradients } from './ppo.js';
import { type ShardArrays, ShardChannel, Slot, readMoments, shardFloats, writeMoments } from './internal/shard-channel.js';
import { typeScriptWorkerScript } from './internal/worker-entry.js';

/** How long the training thread waits on an update thread before calling it stalled. */
const STALL_MS = 120_000;

/** What an update thread is started with (`workerData`). */
export interface UpdateWorkerData {
  readonly buffer: SharedArrayBuffer;
  readonly parameters: number;
  readonly featureSize: number;
  readonly capacity: number;
  readonly thread: number;
  readonly backend: string;
  readonly model: Network['config'];
  readonly settings: Omit<PpoShardSettings, 'epoch'>;
}

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
export class GradientThreads {
  private threads: UpdateThread[] = [];
  private capacity = 0;

  constructor(
    private readonly network: Network,
    readonly count: number,
    private readonly settings: Omit<PpoShardSettings, 'epoch'>,
  ) {
    if (!Number.isInteger(count) || count < 2) throw new RangeError(`GradientThreads: expected at least 2 threads, received ${count}`);
  }

  /**
   * The summed gradient of the shards (shard 0 on this thread) at `parameters`, and the minibatch's
   * diagnostics: PPO terms summed over shards, SRR terms (the same on every shard) from shard 0.
   */
  compute(shards: readonly ShardArrays[], epoch: number, parameters: Float32Array): { gradients: Float32Array; diagnostics: Float64Array } {
    if (shards.length < 1 || shards.length > this.count) throw new RangeError(`GradientThreads: expected 1 to ${this.count} shards, received ${shards.length}`);
    const { taskFeatures, serverFeatures } = this.network.config;
    const needed = Math.max(...shards.map((s) => shardFloats(s.batch.size, s.batch.n, taskFeatures, serverFeatures)));
    if (needed > this.capacity) this.start(needed, parameters.length);
    const remoteShards = shards.slice(1);
    const active = this.threads.slice(0, remoteShards.length);
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
    const gradients = own.gradients;
    const diagnostics = own.diagnostics;
    // The diagnostics before SRR's are shard-weighted PPO terms and add up over shards; the rest are the minibatch's.
    // (Looked up here, not at module load: ppo.ts and this module import each other.)
    const additive = SHARD_DIAGNOSTICS.indexOf('srrDecorrelation');
    for (const [k, thread] of active.entries()) {
      thread.channel.waitFor(Slot.done, thread.sequence, STALL_MS, k + 1);
      const theirs = thread.channel.gradients;
      for (let i = 0; i < gradients.length; i++) gradients[i] = (gradients[i] as number) + (theirs[i] as number);
      for (let i = 0; i < additive; i++) diagnostics[i] = (diagnostics[i] as number) + (thread.channel.diagnostics[i] as number);
    }
    return { gradients, diagnostics };
  }

  /** (Re)starts the worker threads with room for shards of `needed` floats, and waits until they are ready. */
  private start(needed: number, parameters: number): void {
    this.dispose();
    this.capacity = Math.max(needed * 2, 1 << 16);
    const shape = { parameters, featureSize: this.network.encoder.featureSize, capacity: this.capacity };
    const entry = updateWorkerEntry();
    for (let thread = 1; thread < this.count; thread++) {
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
      this.threads.push({ worker, channel, sequence: 0 });
    }
    for (const [k, thread] of this.threads.entries()) thread.channel.waitFor(Slot.ready, 1, STALL_MS, k + 1);
  }

  dispose(): void {
    for (const thread of this.threads) void thread.worker.terminate();
    this.threads = [];
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
