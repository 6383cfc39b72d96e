import { batchActions, batchObservations, type NamedArray, type ObservationBatch, type ObservationLike } from '@scale/model';
import type { Rng } from '@scale/workload';
import { isPaperObservation } from './internal/observations.js';

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
  private readonly items: Transition[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bufferSize: expected an integer >= 1, received ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  add(input: Transition): void {
    // Stored at float32 precision, as a checkpoint stores them: a resumed run samples identical values.
    const transition = { ...input, reward: Math.fround(input.reward), discount: Math.fround(input.discount) };
    if (this.items.length < this.capacity) this.items.push(transition);
    else this.items[this.next] = transition;
    this.next = (this.next + 1) % this.capacity;
  }

  /** `count` transitions drawn uniformly with replacement. */
  sample(count: number, rng: Rng): Transition[] {
    const out: Transition[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.items[rng.int(0, this.items.length - 1)] as Transition;
    return out;
  }

  /**
   * The buffer as flat arrays (for checkpoints): resuming needs its exact contents. Paper
   * observations keep the paper's fixed-width layout; any other (issue 14's fields, other feature
   * widths) switches the whole buffer to the general layout (`generalArrays`).
   */
  toArrays(): Map<string, NamedArray> {
    if (!this.items.every((t) => isPaperObservation(t.obs) && isPaperObservation(t.nextObs))) return this.generalArrays();
    const count = this.items.length;
    let servers = 0;
    for (const t of this.items) servers += t.obs.n + t.nextObs.n;
    const header = new Float32Array(count * 6); // action, reward, terminated, discount, n, nextN
    const tasks = new Float32Array(count * 10);
    const serverRows = new Float32Array(servers * 5);
    const masks = new Float32Array(servers);
    let row = 0;
    this.items.forEach((t, i) => {
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
      ['replay/cursor', { shape: [1], data: Float32Array.of(this.next) }],
    ]);
  }

  /**
   * The general layout: per transition `[action, reward, terminated, discount]`, per observation
   * (obs then nextObs) a header of its field lengths, -1 for an absent field
   * (`[n, k, task, servers, mask, tasks, pairs, global, defer]`), and every field's values in one
   * float32 array in that order (masks and defer as 0/1).
   */
  private generalArrays(): Map<string, NamedArray> {
    const count = this.items.length;
    const header = new Float32Array(count * 4);
    const shapes = new Float32Array(count * 2 * OBSERVATION_HEADER);
    const fields = (o: ObservationLike) => [o.task, o.servers, o.mask, o.tasks, o.pairs, o.global] as const;
    let total = 0;
    for (const t of this.items) for (const o of [t.obs, t.nextObs]) for (const f of fields(o)) total += f?.length ?? 0;
    const values = new Float32Array(total);
    let at = 0;
    this.items.forEach((t, i) => {
      header.set([t.action, t.reward, t.terminated ? 1 : 0, t.discount], i * 4);
      [t.obs, t.nextObs].forEach((o, side) => {
        const lengths = fields(o).map((f) => f?.length ?? -1);
        shapes.set([o.n, o.k ?? -1, ...lengths, o.defer === undefined ? -1 : o.defer ? 1 : 0], (i * 2 + side) * OBSERVATION_HEADER);
        for (const f of fields(o)) {
          if (f === undefined) continue;
          values.set(f, at);
          at += f.length;
        }
      });
    });
    return new Map<string, NamedArray>([
      ['replay/header', { shape: [count, 4], data: header }],
      ['replay/observation-shapes', { shape: [count * 2, OBSERVATION_HEADER], data: shapes }],
      ['replay/observation-values', { shape: [total], data: values }],
      ['replay/cursor', { shape: [1], data: Float32Array.of(this.next) }],
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
    this.items.length = 0;
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
      this.items.push({ obs, action: h[0] as number, reward: h[1] as number, terminated: h[2] === 1, discount: h[3] as number, nextObs });
    }
    this.next = get('replay/cursor')[0] as number;
  }

  private loadGeneral(get: (name: string) => Float32Array): void {
    const header = get('replay/header');
    const shapes = get('replay/observation-shapes');
    const values = get('replay/observation-values');
    this.items.length = 0;
    let at = 0;
    const take = (length: number) => {
      const out = values.slice(at, at + length);
      at += length;
      return out;
    };
    const read = (o: number): ObservationLike => {
      const h = shapes.subarray(o * OBSERVATION_HEADER, (o + 1) * OBSERVATION_HEADER);
      const [n, k, task, servers, mask, tasks, pairs, global, defer] = Array.from(h) as [number, number, number, number, number, number, number, number, number];
      return {
        task: take(task),
        servers: take(servers),
        mask: Uint8Array.from(take(mask)),
        n,
        ...(tasks < 0 ? {} : { tasks: take(tasks) }),
        ...(pairs < 0 ? {} : { pairs: take(pairs) }),
        ...(global < 0 ? {} : { global: take(global) }),
        ...(k < 0 ? {} : { k }),
        ...(defer < 0 ? {} : { defer: defer === 1 }),
      };
    };
    for (let i = 0; i < header.length / 4; i++) {
      const h = header.subarray(i * 4, i * 4 + 4);
      const obs = read(i * 2);
      const nextObs = read(i * 2 + 1);
      this.items.push({ obs, action: h[0] as number, reward: h[1] as number, terminated: h[2] === 1, discount: h[3] as number, nextObs });
    }
    this.next = get('replay/cursor')[0] as number;
  }
}

/** Values per observation in the general layout's header: n, k, then the lengths of task, servers, mask, tasks, pairs, global, then defer. */
const OBSERVATION_HEADER = 9;

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
