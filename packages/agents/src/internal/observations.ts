import type { ObservationLike } from '@scale/model';

/** A copy that outlives the env step (for rollout and replay storage). */
export function copyObservation(obs: ObservationLike): ObservationLike {
  return { task: obs.task.slice(), servers: obs.servers.slice(), mask: obs.mask.slice(), n: obs.n };
}
