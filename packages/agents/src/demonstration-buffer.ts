import type { NamedArray, ObservationLike } from '@scale/model';
import type { Rng } from '@scale/workload';
import { PACKED_OBSERVATION_HEADER, packObservations, unpackObservations } from './internal/observations.js';
import { RingBuffer } from './internal/ring-buffer.js';

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
  private readonly ring: RingBuffer<Demonstration>;

  constructor(readonly capacity: number) {
    this.ring = new RingBuffer(capacity);
  }

  get size(): number {
    return this.ring.size;
  }

  /** Stores `demonstration` as given: the buffer keeps its arrays, so pass copies. */
  add(demonstration: Demonstration): void {
    if (demonstration.optimal.length !== demonstration.obs.mask.length) {
      throw new RangeError(`optimal: expected ${demonstration.obs.mask.length} entries (the observation's actions), received ${demonstration.optimal.length}`);
    }
    this.ring.add(demonstration);
  }

  /** `count` demonstrations drawn uniformly with replacement. */
  sample(count: number, rng: Rng): Demonstration[] {
    return this.ring.sample(count, rng);
  }

  /** The buffer as flat arrays (for checkpoints): observations packed, the optimal sets concatenated (each as long as its mask). */
  toArrays(): Map<string, NamedArray> {
    const items = this.ring.contents();
    const { shapes, values } = packObservations(items.map((d) => d.obs));
    const optimal = new Float32Array(items.reduce((total, d) => total + d.optimal.length, 0));
    let at = 0;
    for (const d of items) {
      optimal.set(d.optimal, at);
      at += d.optimal.length;
    }
    return new Map<string, NamedArray>([
      ['demonstrations/observation-shapes', { shape: [items.length, PACKED_OBSERVATION_HEADER], data: shapes }],
      ['demonstrations/observation-values', { shape: [values.length], data: values }],
      ['demonstrations/optimal', { shape: [optimal.length], data: optimal }],
      ['demonstrations/cursor', { shape: [1], data: Float32Array.of(this.ring.cursor) }],
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
    const items: Demonstration[] = [];
    let at = 0;
    for (const obs of observations) {
      items.push({ obs, optimal: Uint8Array.from(optimal.subarray(at, at + obs.mask.length)) });
      at += obs.mask.length;
    }
    if (at !== optimal.length) throw new Error(`checkpoint's demonstrations/optimal holds ${optimal.length} entries, its observations ${at} actions`);
    this.ring.restore(items, get('demonstrations/cursor')[0] as number, 'demonstrations');
  }
}
