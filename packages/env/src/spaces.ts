import { ConfigError, type Rng } from '@scale/workload';
import { envLayout, type EnvLayout } from './featurizer.js';
import { SERVER_FEATURES, type Observation } from './observation.js';

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
 * The observation space of DESIGN.md section 2 for any N, in an env's layout (`envLayout`; the paper's
 * by default): shapes, finiteness and each feature's documented range. Ratios (workflow completion,
 * servers up, servers busy, mask) are in [0, 1]; the rest are >= 0 (`featurizer.ts` documents the
 * queue-aware ranges).
 */
export class ObservationSpace {
  constructor(
    private readonly rng: Rng,
    readonly layout: EnvLayout = envLayout(),
  ) {}

  /** Every way `obs` is outside the space (empty when it is inside). */
  violations(obs: Observation): string[] {
    const out: string[] = [];
    const { taskFeatures: TF, serverFeatures: SF, globalFeatures: G } = this.layout;
    const taskAndServer = this.layout.actions === 'task-and-server';
    const n = obs.n;
    const k = taskAndServer ? (obs.k ?? -1) : 1;
    if (!Number.isInteger(n) || n < 0) out.push(`n must be an integer >= 0, got ${n}`);
    if (taskAndServer && (!Number.isInteger(k) || k < 1 || k > this.layout.candidates)) out.push(`k must be an integer in [1, ${this.layout.candidates}], got ${obs.k}`);
    if (!taskAndServer && obs.k !== undefined) out.push('k must be absent with server actions');
    if (!(obs.task instanceof Float32Array) || obs.task.length !== TF) out.push(`task must be a Float32Array(${TF})`);
    if (!(obs.servers instanceof Float32Array) || obs.servers.length !== n * SF) out.push(`servers must be a Float32Array(${n} x ${SF})`);
    const actions = k * n + (this.layout.defer ? 1 : 0);
    if (!(obs.mask instanceof Uint8Array) || obs.mask.length !== actions) out.push(`mask must be a Uint8Array(${actions})`);
    if ((obs.defer === true) !== this.layout.defer) out.push(`defer must be ${this.layout.defer ? 'true' : 'absent'}`);
    if (taskAndServer) {
      if (!(obs.tasks instanceof Float32Array) || obs.tasks.length !== k * TF) out.push(`tasks must be a Float32Array(${k} x ${TF})`);
      if (!(obs.pairs instanceof Float32Array) || obs.pairs.length !== k * n) out.push(`pairs must be a Float32Array(${k} x ${n})`);
    } else if (obs.tasks !== undefined || obs.pairs !== undefined) out.push('tasks and pairs must be absent with server actions');
    if (G > 0 ? !(obs.global instanceof Float32Array) || obs.global.length !== G : obs.global !== undefined) out.push(G > 0 ? `global must be a Float32Array(${G})` : 'global must be absent');
    if (out.length > 0) return out;
    const rows = obs.tasks ?? obs.task;
    // task[f] in the paper's layout, tasks[c][f] with candidates.
    const name = (c: number, f: number): string => (obs.tasks === undefined ? `task[${f}]` : `tasks[${c}][${f}]`);
    rows.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) out.push(`${name(Math.floor(i / TF), i % TF)} = ${v} is not a finite number >= 0`);
    });
    for (let c = 0; c < k; c++) {
      const at = c * TF;
      if ((rows[at + 3] as number) > 1) out.push(`${name(c, 3)} (workflow completion) = ${rows[at + 3]} is above 1`);
      // Queue-aware: the critical path from a task is part of its workflow's remaining work.
      if (TF > 5 && (rows[at + 6] as number) > (rows[at + 5] as number)) out.push(`${name(c, 6)} (critical path) = ${rows[at + 6]} exceeds its remaining work ${rows[at + 5]}`);
    }
    if (obs.tasks !== undefined) {
      for (let i = 0; i < TF; i++) if (!Object.is(obs.tasks[i], obs.task[i])) out.push(`task[${i}] differs from tasks[${i}] (candidate 0)`);
    }
    obs.servers.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) out.push(`servers[${Math.floor(i / SF)}][${i % SF}] = ${v} is not a finite number >= 0`);
    });
    const speedColumn = taskAndServer ? SERVER_FEATURES - 1 : SERVER_FEATURES;
    for (let a = 0; a < n; a++) {
      if ((obs.servers[a * SF] as number) <= 0) out.push(`servers[${a}][0] (compute) must be > 0`);
      if ((obs.servers[a * SF + 1] as number) <= 0) out.push(`servers[${a}][1] (memory) must be > 0`);
      if (SF > speedColumn && (obs.servers[a * SF + speedColumn] as number) <= 0) out.push(`servers[${a}][${speedColumn}] (relative speed) must be > 0`);
    }
    obs.pairs?.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) out.push(`pairs[${i}] = ${v} is not a finite number >= 0`);
    });
    obs.global?.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0 || ((i === 3 || i === 4) && v > 1)) out.push(`global[${i}] = ${v} is outside its range`);
    });
    obs.mask.forEach((v, a) => {
      if (v !== 0 && v !== 1) out.push(`mask[${a}] = ${v} is not 0 or 1`);
    });
    return out;
  }

  contains(obs: Observation): boolean {
    return this.violations(obs).length === 0;
  }

  /** A random observation inside the space with `n` servers and `k` candidates (and the given mask, if any). */
  sample(options: { n?: number; k?: number; mask?: Uint8Array } = {}): Observation {
    const { taskFeatures: TF, serverFeatures: SF, globalFeatures: G, defer } = this.layout;
    const taskAndServer = this.layout.actions === 'task-and-server';
    const k = taskAndServer ? (options.k ?? 1) : 1;
    const extra = defer ? 1 : 0;
    const n = options.n ?? (options.mask ? (options.mask.length - extra) / k : 16);
    const taskValue = (i: number): number => (i === 3 ? this.rng.next() : i === 6 ? 0 : this.rng.uniform(0, 2));
    const tasks = Float32Array.from({ length: k * TF }, (_, i) => taskValue(i % TF));
    const servers = Float32Array.from({ length: n * SF }, (_, i) => (i % SF < 2 || i % SF === SERVER_FEATURES - (taskAndServer ? 1 : 0) ? this.rng.uniform(0.05, 1) : this.rng.uniform(0, 2)));
    const mask = options.mask ? Uint8Array.from(options.mask) : Uint8Array.from({ length: k * n + extra }, () => this.rng.int(0, 1));
    const task = tasks.slice(0, TF);
    return {
      task,
      servers,
      mask,
      n,
      ...(taskAndServer ? { k, tasks, pairs: Float32Array.from({ length: k * n }, () => this.rng.uniform(0, 1)) } : {}),
      ...(G > 0 ? { global: Float32Array.from({ length: G }, (_, i) => (i === 3 || i === 4 ? this.rng.next() : this.rng.uniform(0, 2))) } : {}),
      ...(defer ? { defer: true } : {}),
    };
  }
}
