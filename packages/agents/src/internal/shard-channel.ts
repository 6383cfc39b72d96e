import type { Network, ObservationBatch } from '@scale/model';
import type { MomentsData } from '@scale/srr';
import { UpdateThreadError } from '../errors.js';
import type { MinibatchDiagnostics, PpoShardSettings, ShardArrays } from '../ppo-gradient.js';

/**
 * The shared memory between the training thread and one update thread, and the handshake on it.
 * Everything a gradient step needs crosses here without a message: the parameters, the shard of
 * the minibatch, the feature moments both ways (mid-forward, for SRR) and the gradient back. Each
 * side blocks with `Atomics.wait` on a sequence number the other side raises; a step costs a few
 * memcpys and three wake-ups, not a postMessage round trip.
 */

/** Int32 control slots. Sequence slots hold the number of the step they last completed. */
export const Slot = {
  /** Main -> worker: a new step (its sequence number). */
  command: 0,
  /** Worker -> main: this shard's feature moments are in `momentsOut`. */
  moments: 1,
  /** Main -> worker: the other shards' combined moments are in `momentsIn`. */
  remote: 2,
  /** Worker -> main: gradient and diagnostics are written. */
  done: 3,
  /** Worker -> main: 1 once the worker has loaded its backend and built its network. */
  ready: 4,
  /** Worker -> main: 1 after a failure; the message is in `error`. */
  failed: 5,
  errorLength: 6,
  // The step's header, written by main before `command`.
  size: 8,
  n: 9,
  padded: 10,
  epoch: 11,
  // Issue 14's batch fields (all 0 for a paper batch): candidate slots k, action columns A, flags
  // (1: defer, 2: one pair feature), global features G.
  candidates: 12,
  actions: 13,
  flags: 14,
  globalFeatures: 15,
} as const;

const DEFER_FLAG = 1;
const PAIRS_FLAG = 2;

const CONTROL_INTS = 16;
const SCALARS = 8;
const DIAGNOSTICS = 16;
const ERROR_BYTES = 4096;

/** Floats a shard of `batch` needs in `data`. */
export function shardFloats(batch: ObservationBatch, taskFeatures: number, serverFeatures: number): number {
  const { size, n } = batch;
  const actions = batch.actions ?? n;
  // task, servers, present, mask (A wide), counts, then actions, old log-probs, advantages, returns
  const paper = size * (taskFeatures + n * serverFeatures + n + actions + 5);
  if (batch.tasks === undefined) return paper;
  // then candidate features, each row's k, pair features, global context
  const k = batch.k ?? 1;
  return paper + size * (k * taskFeatures + 1 + k * n * (batch.pairFeatures ?? 0) + (batch.globalFeatures ?? 0));
}

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

export interface ChannelShape {
  /** Packed parameter count. */
  readonly parameters: number;
  /** Feature width d (the moments are 1 + d + d^2 values). */
  readonly featureSize: number;
  /** Floats reserved for a shard's data. */
  readonly capacity: number;
}

type Region = 'control' | 'scalars' | 'momentsOut' | 'momentsIn' | 'diagnostics' | 'params' | 'gradients' | 'data' | 'error';

/** Each region's byte offset and element count, in buffer order (8-byte aligned), and the total bytes. */
function layout(shape: ChannelShape): { regions: Record<Region, { offset: number; length: number }>; bytes: number } {
  const moments = 1 + shape.featureSize + shape.featureSize * shape.featureSize;
  // [bytes per element, elements]
  const sizes: Record<Region, [number, number]> = {
    control: [4, CONTROL_INTS],
    scalars: [8, SCALARS],
    momentsOut: [8, moments],
    momentsIn: [8, moments],
    diagnostics: [8, DIAGNOSTICS],
    params: [4, shape.parameters],
    gradients: [4, shape.parameters],
    data: [4, shape.capacity],
    error: [1, ERROR_BYTES],
  };
  let bytes = 0;
  const regions = {} as Record<Region, { offset: number; length: number }>;
  for (const [name, [element, length]] of Object.entries(sizes) as [Region, [number, number]][]) {
    regions[name] = { offset: bytes, length };
    bytes += Math.ceil((element * length) / 8) * 8;
  }
  return { regions, bytes };
}

export class ShardChannel {
  readonly control: Int32Array;
  readonly scalars: Float64Array;
  readonly momentsOut: Float64Array;
  readonly momentsIn: Float64Array;
  readonly diagnostics: Float64Array;
  readonly params: Float32Array;
  readonly gradients: Float32Array;
  readonly data: Float32Array;
  readonly error: Uint8Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly shape: ChannelShape,
  ) {
    const { regions: r } = layout(shape);
    this.control = new Int32Array(buffer, r.control.offset, r.control.length);
    this.scalars = new Float64Array(buffer, r.scalars.offset, r.scalars.length);
    this.momentsOut = new Float64Array(buffer, r.momentsOut.offset, r.momentsOut.length);
    this.momentsIn = new Float64Array(buffer, r.momentsIn.offset, r.momentsIn.length);
    this.diagnostics = new Float64Array(buffer, r.diagnostics.offset, r.diagnostics.length);
    this.params = new Float32Array(buffer, r.params.offset, r.params.length);
    this.gradients = new Float32Array(buffer, r.gradients.offset, r.gradients.length);
    this.data = new Float32Array(buffer, r.data.offset, r.data.length);
    this.error = new Uint8Array(buffer, r.error.offset, r.error.length);
  }

  static create(shape: ChannelShape): ShardChannel {
    return new ShardChannel(new SharedArrayBuffer(layout(shape).bytes), shape);
  }

  /** Raises a slot to `value` and wakes the other side. */
  signal(slot: number, value: number): void {
    Atomics.store(this.control, slot, value);
    Atomics.notify(this.control, slot);
  }

  /**
   * Blocks until `slot` reaches `value`. With `stallMs`, a worker that reports a failure or makes
   * no progress for that long raises `UpdateThreadError` instead of hanging the training thread.
   */
  waitFor(slot: number, value: number, stallMs: number | null, thread: number): void {
    const started = performance.now();
    for (;;) {
      const current = Atomics.load(this.control, slot);
      if (current >= value) return;
      if (Atomics.load(this.control, Slot.failed) !== 0) throw new UpdateThreadError(thread, this.errorMessage());
      Atomics.wait(this.control, slot, current, stallMs === null ? undefined : Math.min(stallMs, 250));
      if (stallMs !== null && Atomics.load(this.control, slot) < value && performance.now() - started > stallMs) {
        throw new UpdateThreadError(thread, `no progress in ${stallMs / 1000} s`);
      }
    }
  }

  fail(error: unknown): void {
    const text = new TextEncoder().encode(error instanceof Error ? (error.stack ?? error.message) : String(error)).subarray(0, ERROR_BYTES);
    this.error.set(text);
    Atomics.store(this.control, Slot.errorLength, text.length);
    this.signal(Slot.failed, 1);
  }

  errorMessage(): string {
    return new TextDecoder().decode(this.error.slice(0, Atomics.load(this.control, Slot.errorLength)));
  }

  /** Writes a shard and its header (main side, before raising `command`). */
  writeShard(shard: ShardArrays, epoch: number, taskFeatures: number, serverFeatures: number): void {
    const { batch } = shard;
    const needed = shardFloats(batch, taskFeatures, serverFeatures);
    if (needed > this.data.length) throw new RangeError(`shard of ${batch.size} x ${batch.n} needs ${needed} floats, the channel holds ${this.data.length}`);
    const { control, data } = this;
    const extended = batch.tasks !== undefined;
    control[Slot.size] = batch.size;
    control[Slot.n] = batch.n;
    control[Slot.padded] = batch.present === null ? 0 : 1;
    control[Slot.epoch] = epoch;
    control[Slot.candidates] = extended ? (batch.k ?? 1) : 0;
    control[Slot.actions] = batch.actions ?? batch.n;
    control[Slot.flags] = (batch.defer === true ? DEFER_FLAG : 0) | ((batch.pairFeatures ?? 0) > 0 ? PAIRS_FLAG : 0);
    control[Slot.globalFeatures] = batch.globalFeatures ?? 0;
    this.scalars[0] = shard.weight;
    let at = 0;
    const put = (values: ArrayLike<number>) => {
      data.set(values, at);
      at += values.length;
    };
    put(batch.task);
    put(batch.servers);
    put(batch.present ?? new Uint8Array(batch.size * batch.n));
    put(batch.mask);
    put(batch.counts);
    if (extended) {
      put(batch.tasks as Float32Array);
      put(batch.candidates ?? new Int32Array(batch.size).fill(1));
      if (batch.pairs !== undefined) put(batch.pairs);
      if (batch.global !== undefined) put(batch.global);
    }
    put(shard.actions);
    put(shard.oldLogProbs);
    put(shard.advantages);
    put(shard.returns);
  }

  /** Reads the shard main wrote (worker side); the arrays are copies. */
  readShard(taskFeatures: number, serverFeatures: number): { shard: ShardArrays; epoch: number } {
    const { control, data } = this;
    const size = control[Slot.size] as number;
    const n = control[Slot.n] as number;
    const k = control[Slot.candidates] as number;
    const actions = control[Slot.actions] as number;
    let at = 0;
    const take = (length: number) => {
      const view = data.subarray(at, at + length);
      at += length;
      return view;
    };
    const task = take(size * taskFeatures).slice();
    const servers = take(size * n * serverFeatures).slice();
    const present = Uint8Array.from(take(size * n));
    const mask = Uint8Array.from(take(size * actions));
    const counts = Int32Array.from(take(size));
    const paper: ObservationBatch = { size, n, task, servers, present: control[Slot.padded] === 1 ? present : null, mask, counts };
    let batch = paper;
    if (k > 0) {
      // A batch with issue 14's fields: the same keys batchObservations gives it.
      const flags = control[Slot.flags] as number;
      const pairFeatures = (flags & PAIRS_FLAG) === 0 ? 0 : 1;
      const globalFeatures = control[Slot.globalFeatures] as number;
      const tasks = take(size * k * taskFeatures).slice();
      const candidates = Int32Array.from(take(size));
      const pairs = pairFeatures > 0 ? take(size * k * n).slice() : null;
      const global = globalFeatures > 0 ? take(size * globalFeatures).slice() : null;
      batch = {
        ...paper,
        k,
        tasks,
        candidates,
        pairFeatures,
        ...(pairs === null ? {} : { pairs }),
        globalFeatures,
        ...(global === null ? {} : { global }),
        defer: (flags & DEFER_FLAG) !== 0,
        actions,
      };
    }
    const shard: ShardArrays = {
      batch,
      actions: Int32Array.from(take(size)),
      oldLogProbs: take(size).slice(),
      advantages: take(size).slice(),
      returns: take(size).slice(),
      weight: this.scalars[0] as number,
    };
    return { shard, epoch: control[Slot.epoch] as number };
  }
}

export function writeMoments(target: Float64Array, moments: MomentsData): void {
  target[0] = moments.count;
  target.set(moments.mean, 1);
  target.set(moments.m2, 1 + moments.mean.length);
}

export function readMoments(source: Float64Array, featureSize: number): MomentsData {
  return {
    count: source[0] as number,
    mean: source.slice(1, 1 + featureSize),
    m2: source.slice(1 + featureSize, 1 + featureSize + featureSize * featureSize),
  };
}

/** The order `MinibatchDiagnostics` crosses the channel in (one float64 slot each). */
const DIAGNOSTIC_SLOTS = ['ppoLoss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction', 'srrDecorrelation', 'srrKl', 'srrTotal', 'srrWeight'] as const satisfies readonly (keyof MinibatchDiagnostics)[];

export function writeDiagnostics(target: Float64Array, diagnostics: MinibatchDiagnostics): void {
  DIAGNOSTIC_SLOTS.forEach((name, slot) => {
    target[slot] = diagnostics[name];
  });
}

export function readDiagnostics(source: Float64Array): MinibatchDiagnostics {
  const value = (name: (typeof DIAGNOSTIC_SLOTS)[number]) => source[DIAGNOSTIC_SLOTS.indexOf(name)] as number;
  return {
    ppoLoss: value('ppoLoss'),
    policyLoss: value('policyLoss'),
    valueLoss: value('valueLoss'),
    entropy: value('entropy'),
    approxKl: value('approxKl'),
    clipFraction: value('clipFraction'),
    srrDecorrelation: value('srrDecorrelation'),
    srrKl: value('srrKl'),
    srrTotal: value('srrTotal'),
    srrWeight: value('srrWeight'),
  };
}
