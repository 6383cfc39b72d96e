import type { NamedArray, ObservationLike } from '@scale/model';
import type { Rng } from '@scale/workload';
import { PACKED_OBSERVATION_HEADER, packObservations, unpackObservations } from './internal/observations.js';

/** A state an expert labelled: the observation and the actions it accepts. */
export interface Demonstration {
  readonly obs: ObservationLike;
  /** One entry per action of `obs` (its mask's length), 1 for each action the expert calls optimal. */
  readonly optimal: Uint8Array;
}

/**
 * DAgger's aggregated data set (Ross, Gordon and Bagnell 2011): every labelled state of every epoch,
 * up to `capacity` (then the oldest go first), with uniform sampling from the agent's RNG.
 */
export class DemonstrationBuffer {
  private readonly items: Demonstration[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bufferSize: expected an integer >= 1, received ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Stores `demonstration` as given: the buffer keeps its arrays, so pass copies. */
  add(demonstration: Demonstration): void {
    if (demonstration.optimal.length !== demonstration.obs.mask.length) {
      throw new RangeError(`optimal: expected ${demonstration.obs.mask.length} entries (the observation's actions), received ${demonstration.optimal.length}`);
    }
    if (this.items.length < this.capacity) this.items.push(demonstration);
    else this.items[this.next] = demonstration;
    this.next = (this.next + 1) % this.capacity;
  }

  /** `count` demonstrations drawn uniformly with replacement. */
  sample(count: number, rng: Rng): Demonstration[] {
    const out: Demonstration[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.items[rng.int(0, this.items.length - 1)] as Demonstration;
    return out;
  }

  /** The buffer as flat arrays (for checkpoints): observations packed, the optimal sets concatenated (each as long as its mask). */
  toArrays(): Map<string, NamedArray> {
    const { shapes, values } = packObservations(this.items.map((d) => d.obs));
    const optimal = new Float32Array(this.items.reduce((total, d) => total + d.optimal.length, 0));
    let at = 0;
    for (const d of this.items) {
      optimal.set(d.optimal, at);
      at += d.optimal.length;
    }
    return new Map<string, NamedArray>([
      ['demonstrations/observation-shapes', { shape: [this.items.length, PACKED_OBSERVATION_HEADER], data: shapes }],
      ['demonstrations/observation-values', { shape: [values.length], data: values }],
      ['demonstrations/optimal', { shape: [optimal.length], data: optimal }],
      ['demonstrations/cursor', { shape: [1], data: Float32Array.of(this.next) }],
    ]);
  }

  /** Replaces the contents with what `toArrays` wrote. */
  loadArrays(arrays: ReadonlyMap<string, NamedArray>): void {
    const get = (name: string) => {
      const a = arrays.get(name);
      if (a === undefined) throw new Error(`checkpoint has no ${name}`);
      return a.data;
    };
    const observations = unpackObservations(get('demonstrations/observation-shapes'), get('demonstrations/observation-values'));
    const optimal = get('demonstrations/optimal');
    this.items.length = 0;
    let at = 0;
    for (const obs of observations) {
      this.items.push({ obs, optimal: Uint8Array.from(optimal.subarray(at, at + obs.mask.length)) });
      at += obs.mask.length;
    }
    if (at !== optimal.length) throw new Error(`checkpoint's demonstrations/optimal holds ${optimal.length} entries, its observations ${at} actions`);
    const cursor = get('demonstrations/cursor')[0] as number;
    if (!Number.isInteger(cursor) || cursor < 0 || cursor >= this.capacity) throw new Error(`checkpoint's demonstrations/cursor: expected an integer in [0, ${this.capacity - 1}], received ${cursor}`);
    this.next = cursor;
  }
}
