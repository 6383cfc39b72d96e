import type { ObservationLike } from '@scale/model';

/**
 * A copy that outlives the env step (for rollout and replay storage), issue 14's fields included.
 * Every copy of an issue-14 observation is one object literal with all nine keys (an absent field
 * `undefined`, which every reader treats as absent): one shape for all rows, so batching reads them
 * at monomorphic speed (built by spreading, the shapes varied and the reads went through slow lookups).
 */
export function copyObservation(obs: ObservationLike): ObservationLike {
  // A paper observation has none of the optional fields: its copy keeps the paper's four keys.
  if (obs.k === undefined && obs.tasks === undefined && obs.pairs === undefined && obs.global === undefined && obs.defer === undefined) {
    return { task: obs.task.slice(), servers: obs.servers.slice(), mask: obs.mask.slice(), n: obs.n };
  }
  return {
    task: obs.task.slice(),
    servers: obs.servers.slice(),
    mask: obs.mask.slice(),
    n: obs.n,
    k: obs.k,
    tasks: obs.tasks?.slice(),
    pairs: obs.pairs?.slice(),
    global: obs.global?.slice(),
    defer: obs.defer,
  };
}

/** Whether `obs` is the paper's (5 task + 5 per-server features, N actions, no optional field). */
export function isPaperObservation(obs: ObservationLike): boolean {
  return (
    obs.k === undefined &&
    obs.tasks === undefined &&
    obs.pairs === undefined &&
    obs.global === undefined &&
    obs.defer === undefined &&
    obs.task.length === 5 &&
    obs.servers.length === 5 * obs.n &&
    obs.mask.length === obs.n
  );
}

/** An observation as JSON (checkpointed n-step windows), optional fields kept as given. */
export interface ObservationJson {
  task: number[];
  servers: number[];
  mask: number[];
  n: number;
  k?: number;
  tasks?: number[];
  pairs?: number[];
  global?: number[];
  defer?: boolean;
}

export function observationToJson(obs: ObservationLike): ObservationJson {
  return {
    task: Array.from(obs.task),
    servers: Array.from(obs.servers),
    mask: Array.from(obs.mask),
    n: obs.n,
    ...(obs.k === undefined ? {} : { k: obs.k }),
    ...(obs.tasks === undefined ? {} : { tasks: Array.from(obs.tasks) }),
    ...(obs.pairs === undefined ? {} : { pairs: Array.from(obs.pairs) }),
    ...(obs.global === undefined ? {} : { global: Array.from(obs.global) }),
    ...(obs.defer === undefined ? {} : { defer: obs.defer }),
  };
}

export function observationFromJson(json: ObservationJson): ObservationLike {
  return {
    task: Float32Array.from(json.task),
    servers: Float32Array.from(json.servers),
    mask: Uint8Array.from(json.mask),
    n: json.n,
    ...(json.k === undefined ? {} : { k: json.k }),
    ...(json.tasks === undefined ? {} : { tasks: Float32Array.from(json.tasks) }),
    ...(json.pairs === undefined ? {} : { pairs: Float32Array.from(json.pairs) }),
    ...(json.global === undefined ? {} : { global: Float32Array.from(json.global) }),
    ...(json.defer === undefined ? {} : { defer: json.defer }),
  };
}
