import type { Rng } from '@scale/workload';
import type { ObservationLike } from '../batch.js';

/** A random observation in the env's layout (features in [0, 1), ~70% of actions valid). */
export function randomObservation(rng: Rng, n: number, taskFeatures = 5, serverFeatures = 5): ObservationLike {
  const task = new Float32Array(taskFeatures);
  for (let i = 0; i < taskFeatures; i++) task[i] = rng.next();
  const servers = new Float32Array(n * serverFeatures);
  for (let i = 0; i < servers.length; i++) servers[i] = rng.next() * 2;
  const mask = new Uint8Array(n);
  for (let j = 0; j < n; j++) mask[j] = rng.next() < 0.7 ? 1 : 0;
  return { task, servers, mask, n };
}

/** `obs` with its servers reordered: server `permutation[k]` becomes server k. */
export function permuteServers(obs: ObservationLike, permutation: readonly number[], serverFeatures = 5): ObservationLike {
  const servers = new Float32Array(obs.servers.length);
  const mask = new Uint8Array(obs.n);
  permutation.forEach((from, to) => {
    servers.set(obs.servers.subarray(from * serverFeatures, (from + 1) * serverFeatures), to * serverFeatures);
    mask[to] = obs.mask[from] as number;
  });
  return { task: obs.task, servers, mask, n: obs.n };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** What a random task-and-server observation carries besides its k candidates. */
export interface LayoutOptions {
  readonly defer?: boolean;
  readonly global?: number;
  readonly pairs?: boolean;
}

/** A random observation with k candidate tasks (task-and-server layout), ~70% of actions valid. */
export function randomCandidateObservation(rng: Rng, n: number, k: number, options: LayoutOptions = {}, taskFeatures = 5, serverFeatures = 5): ObservationLike {
  const base = randomObservation(rng, n, taskFeatures, serverFeatures);
  const tasks = new Float32Array(k * taskFeatures);
  for (let i = 0; i < tasks.length; i++) tasks[i] = rng.next();
  const actions = k * n + (options.defer === true ? 1 : 0);
  const mask = new Uint8Array(actions);
  for (let a = 0; a < actions; a++) mask[a] = rng.next() < 0.7 ? 1 : 0;
  const obs: { -readonly [K in keyof ObservationLike]: ObservationLike[K] } = { task: tasks.slice(0, taskFeatures), servers: base.servers, mask, n, k, tasks };
  if (options.defer === true) obs.defer = true;
  if ((options.global ?? 0) > 0) obs.global = Float32Array.from({ length: options.global as number }, () => rng.next());
  if (options.pairs === true) obs.pairs = Float32Array.from({ length: k * n }, () => rng.next() * 3);
  return obs;
}

/** `obs` with its candidates reordered: candidate `permutation[c]` becomes candidate c (servers unchanged). */
export function permuteCandidates(obs: ObservationLike, permutation: readonly number[], taskFeatures = 5): ObservationLike {
  const k = obs.k ?? 1;
  const n = obs.n;
  const tasks = new Float32Array(k * taskFeatures);
  const mask = Uint8Array.from(obs.mask);
  const pairs = obs.pairs === undefined ? undefined : new Float32Array(obs.pairs.length);
  permutation.forEach((from, to) => {
    tasks.set((obs.tasks as Float32Array).subarray(from * taskFeatures, (from + 1) * taskFeatures), to * taskFeatures);
    mask.set(obs.mask.subarray(from * n, (from + 1) * n), to * n);
    pairs?.set((obs.pairs as Float32Array).subarray(from * n, (from + 1) * n), to * n);
  });
  return { ...obs, task: tasks.slice(0, taskFeatures), tasks, mask, ...(pairs === undefined ? {} : { pairs }) };
}

/** `obs` (any layout) with its servers reordered: server `permutation[j]` becomes server j, in every candidate's block. */
export function permuteCandidateServers(obs: ObservationLike, permutation: readonly number[], serverFeatures = 5): ObservationLike {
  const k = obs.k ?? 1;
  const n = obs.n;
  const servers = new Float32Array(obs.servers.length);
  const mask = Uint8Array.from(obs.mask);
  const pairs = obs.pairs === undefined ? undefined : new Float32Array(obs.pairs.length);
  permutation.forEach((from, to) => {
    servers.set(obs.servers.subarray(from * serverFeatures, (from + 1) * serverFeatures), to * serverFeatures);
    for (let c = 0; c < k; c++) {
      mask[c * n + to] = obs.mask[c * n + from] as number;
      if (pairs !== undefined) pairs[c * n + to] = (obs.pairs as Float32Array)[c * n + from] as number;
    }
  });
  return { ...obs, servers, mask, ...(pairs === undefined ? {} : { pairs }) };
}
