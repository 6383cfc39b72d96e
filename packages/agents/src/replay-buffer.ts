import { batchActions, batchObservations, type NamedArray, type ObservationBatch, type ObservationLike } from '@scale/model';
import type { Rng } from '@scale/workload';
import { isPaperObservation, PACKED_OBSERVATION_HEADER, packObservations, unpackObservations } from './internal/observations.js';
import { RingBuffer } from './internal/ring-buffer.js';

/** One stored transition; `discount` is gamma^n for an n-step return (0 bootstrap if terminated). */
export interface Transition {
  readonly obs: ObservationLike;
  readonly action: number;
  /** Discounted sum of the n rewards. */
  readonly reward: number;
  readonly nextObs: ObservationLike;
  /** The last of the n steps terminated the episode (no bootstrap); truncation still bootstraps. */
  readonly terminated: boolean;
  readonly discount: number;
}

/** A ring buffer of transitions with uniform sampling from the agent's RNG. */
export class ReplayBuffer {
  private readonly ring: RingBuffer<Transition>;

  constructor(readonly capacity: number) {
    this.ring = new RingBuffer(capacity);
  }

  get size(): number {
    return this.ring.size;
  }

  add(input: Transition): void {
    // Stored at float32 precision, as a checkpoint stores them: a resumed run samples identical values.
    this.ring.add({ ...input, reward: Math.fround(input.reward), discount: Math.fround(input.discount) });
  }

  /** `count` transitions drawn uniformly with replacement. */
  sample(count: number, rng: Rng): Transition[] {
    return this.ring.sample(count, rng);
  }

  /**
   * The buffer as flat arrays (for checkpoints): resuming needs its exact contents. Paper
   * observations keep the paper's fixed-width layout; any other (issue 14's fields, other feature
   * widths) switches the whole buffer to the general layout (`generalArrays`).
   */
  toArrays(): Map<string, NamedArray> {
    const items = this.ring.contents();
    if (!items.every((t) => isPaperObservation(t.obs) && isPaperObservation(t.nextObs))) return this.generalArrays();
    const count = items.length;
    let servers = 0;
    for (const t of items) servers += t.obs.n + t.nextObs.n;
    const header = new Float32Array(count * 6); // action, reward, terminated, discount, n, nextN
    const tasks = new Float32Array(count * 10);
    const serverRows = new Float32Array(servers * 5);
    const masks = new Float32Array(servers);
    let row = 0;
    items.forEach((t, i) => {
      header.set([t.action, t.reward, t.terminated ? 1 : 0, t.discount, t.obs.n, t.nextObs.n], i * 6);
      tasks.set(t.obs.task, i * 10);
      tasks.set(t.nextObs.task, i * 10 + 5);
      for (const o of [t.obs, t.nextObs]) {
        serverRows.set(o.servers, row * 5);
        masks.set(o.mask, row);
        row += o.n;
      }
    });
    return new Map<string, NamedArray>([
      ['replay/header', { shape: [count, 6], data: header }],
      ['replay/tasks', { shape: [count, 10], data: tasks }],
      ['replay/servers', { shape: [servers, 5], data: serverRows }],
      ['replay/masks', { shape: [servers], data: masks }],
      ['replay/cursor', { shape: [1], data: Float32Array.of(this.ring.cursor) }],
    ]);
  }

  /**
   * The general layout: per transition `[action, reward, terminated, discount]`, then its obs and
   * nextObs in `packObservations`' layout.
   */
  private generalArrays(): Map<string, NamedArray> {
    const items = this.ring.contents();
    const count = items.length;
    const header = new Float32Array(count * 4);
    items.forEach((t, i) => {
      header.set([t.action, t.reward, t.terminated ? 1 : 0, t.discount], i * 4);
    });
    const { shapes, values } = packObservations(items.flatMap((t) => [t.obs, t.nextObs]));
    return new Map<string, NamedArray>([
      ['replay/header', { shape: [count, 4], data: header }],
      ['replay/observation-shapes', { shape: [count * 2, PACKED_OBSERVATION_HEADER], data: shapes }],
      ['replay/observation-values', { shape: [values.length], data: values }],
      ['replay/cursor', { shape: [1], data: Float32Array.of(this.ring.cursor) }],
    ]);
  }

  /** Replaces the contents with what `toArrays` wrote. Rewards and discounts are float32 either way. */
  loadArrays(arrays: ReadonlyMap<string, NamedArray>): void {
    const get = (name: string) => {
      const a = arrays.get(name);
      if (a === undefined) throw new Error(`checkpoint has no ${name}`);
      return a.data;
    };
    if (arrays.has('replay/observation-shapes')) {
      this.loadGeneral(get);
      return;
    }
    const header = get('replay/header');
    const tasks = get('replay/tasks');
    const serverRows = get('replay/servers');
    const masks = get('replay/masks');
    const items: Transition[] = [];
    let row = 0;
    const read = (task: Float32Array, n: number): ObservationLike => {
      const obs = { task, servers: serverRows.slice(row * 5, (row + n) * 5), mask: Uint8Array.from(masks.subarray(row, row + n)), n };
      row += n;
      return obs;
    };
    for (let i = 0; i < header.length / 6; i++) {
      const h = header.subarray(i * 6, i * 6 + 6);
      const obs = read(tasks.slice(i * 10, i * 10 + 5), h[4] as number);
      const nextObs = read(tasks.slice(i * 10 + 5, i * 10 + 10), h[5] as number);
      items.push({ obs, action: h[0] as number, reward: h[1] as number, terminated: h[2] === 1, discount: h[3] as number, nextObs });
    }
    this.ring.restore(items, get('replay/cursor')[0] as number, 'replay');
  }

  private loadGeneral(get: (name: string) => Float32Array): void {
    const header = get('replay/header');
    const observations = unpackObservations(get('replay/observation-shapes'), get('replay/observation-values'));
    const items: Transition[] = [];
    for (let i = 0; i < header.length / 4; i++) {
      const h = header.subarray(i * 4, i * 4 + 4);
      const obs = observations[i * 2] as ObservationLike;
      const nextObs = observations[i * 2 + 1] as ObservationLike;
      items.push({ obs, action: h[0] as number, reward: h[1] as number, terminated: h[2] === 1, discount: h[3] as number, nextObs });
    }
    this.ring.restore(items, get('replay/cursor')[0] as number, 'replay');
  }
}

/** A replay minibatch as the model's batches: its observations, its next observations, and each row's action as its batch column. */
export function batchTransitions(batch: readonly Transition[], widths: { readonly taskFeatures: number; readonly serverFeatures: number }): { obs: ObservationBatch; next: ObservationBatch; actions: Int32Array } {
  const obs = batchObservations(
    batch.map((t) => t.obs),
    widths.taskFeatures,
    widths.serverFeatures,
  );
  const next = batchObservations(
    batch.map((t) => t.nextObs),
    widths.taskFeatures,
    widths.serverFeatures,
  );
  // Each observation's own action index as the batch's column (the server index in a paper batch).
  const actions = batchActions(
    obs,
    batch.map((t) => t.action),
  );
  return { obs, next, actions };
}
