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
