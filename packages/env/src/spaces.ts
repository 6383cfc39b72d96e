import { ConfigError, type Rng } from '@scale/workload';
import { SERVER_FEATURES, TASK_FEATURES, type Observation } from './observation.js';

/** Gymnasium's Discrete(n): actions 0..n-1, with seeded, optionally masked sampling. */
export class Discrete {
  constructor(
    readonly n: number,
    private readonly rng: Rng,
  ) {}

  contains(action: unknown): action is number {
    return typeof action === 'number' && Number.isInteger(action) && action >= 0 && action < this.n;
  }

  /** A uniform action, or a uniform one among `mask[a] == 1` (throws when the mask allows none). */
  sample(options: { mask?: Uint8Array } = {}): number {
    const { mask } = options;
    if (mask === undefined) return this.rng.int(0, this.n - 1);
    if (mask.length !== this.n) throw new ConfigError('mask', `a Uint8Array of length ${this.n}`, mask.length);
    let count = 0;
    for (let a = 0; a < this.n; a++) count += mask[a] === 1 ? 1 : 0;
    if (count === 0) throw new ConfigError('mask', 'at least one allowed action', 'none');
    let pick = this.rng.int(0, count - 1);
    for (let a = 0; a < this.n; a++) {
      if (mask[a] === 1 && pick-- === 0) return a;
    }
    return -1;
  }
}

/**
 * The observation space of DESIGN.md section 2 for any N: shapes, finiteness and each feature's
 * documented range. Ratios (workflow completion, mask) are in [0, 1]; the rest are >= 0.
 */
export class ObservationSpace {
  constructor(private readonly rng: Rng) {}

  /** Every way `obs` is outside the space (empty when it is inside). */
  violations(obs: Observation): string[] {
    const out: string[] = [];
    const n = obs.n;
    if (!Number.isInteger(n) || n < 0) out.push(`n must be an integer >= 0, got ${n}`);
    if (!(obs.task instanceof Float32Array) || obs.task.length !== TASK_FEATURES) out.push(`task must be a Float32Array(${TASK_FEATURES})`);
    if (!(obs.servers instanceof Float32Array) || obs.servers.length !== n * SERVER_FEATURES) out.push(`servers must be a Float32Array(${n} x ${SERVER_FEATURES})`);
    if (!(obs.mask instanceof Uint8Array) || obs.mask.length !== n) out.push(`mask must be a Uint8Array(${n})`);
    if (out.length > 0) return out;
    obs.task.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) out.push(`task[${i}] = ${v} is not a finite number >= 0`);
    });
    if ((obs.task[3] as number) > 1) out.push(`task[3] (workflow completion) = ${obs.task[3]} is above 1`);
    obs.servers.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) out.push(`servers[${Math.floor(i / SERVER_FEATURES)}][${i % SERVER_FEATURES}] = ${v} is not a finite number >= 0`);
    });
    for (let a = 0; a < n; a++) {
      if ((obs.servers[a * SERVER_FEATURES] as number) <= 0) out.push(`servers[${a}][0] (compute) must be > 0`);
      if ((obs.servers[a * SERVER_FEATURES + 1] as number) <= 0) out.push(`servers[${a}][1] (memory) must be > 0`);
    }
    obs.mask.forEach((v, a) => {
      if (v !== 0 && v !== 1) out.push(`mask[${a}] = ${v} is not 0 or 1`);
    });
    return out;
  }

  contains(obs: Observation): boolean {
    return this.violations(obs).length === 0;
  }

  /** A random observation inside the space with `n` servers (and the given mask, if any). */
  sample(options: { n?: number; mask?: Uint8Array } = {}): Observation {
    const n = options.n ?? options.mask?.length ?? 16;
    const task = Float32Array.from({ length: TASK_FEATURES }, (_, i) => (i === 3 ? this.rng.next() : this.rng.uniform(0, 2)));
    const servers = Float32Array.from({ length: n * SERVER_FEATURES }, (_, i) => (i % SERVER_FEATURES < 2 ? this.rng.uniform(0.05, 1) : this.rng.uniform(0, 2)));
    const mask = options.mask ? Uint8Array.from(options.mask) : Uint8Array.from({ length: n }, () => this.rng.int(0, 1));
    return { task, servers, mask, n };
  }
}
