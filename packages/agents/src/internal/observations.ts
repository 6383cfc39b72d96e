import type { ObservationLike } from '@scale/model';
import type { VectorObservation } from '../types.js';

const TASK = 5;
const SERVER = 5;

/** Env i's observation as views into the packed arrays (valid until the next step). */
export function viewObservation(obs: VectorObservation, i: number): ObservationLike {
  const start = obs.offsets[i] as number;
  const end = obs.offsets[i + 1] as number;
  return {
    task: obs.task.subarray(i * TASK, (i + 1) * TASK),
    servers: obs.servers.subarray(start * SERVER, end * SERVER),
    mask: obs.mask.subarray(start, end),
    n: end - start,
  };
}

/** A copy that outlives the env step (for rollout and replay storage). */
export function copyObservation(obs: ObservationLike): ObservationLike {
  return { task: obs.task.slice(), servers: obs.servers.slice(), mask: obs.mask.slice(), n: obs.n };
}
