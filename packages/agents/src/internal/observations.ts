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

/** Values per observation in `packObservations`' header: n, k, the lengths of task, servers, mask, tasks, pairs, global, then defer. */
export const PACKED_OBSERVATION_HEADER = 9;

/**
 * Observations as two flat float32 arrays (checkpointed buffers): per observation a header of
 * `PACKED_OBSERVATION_HEADER` values (`[n, k, task, servers, mask, tasks, pairs, global, defer]`: the
 * fields' lengths, -1 for an absent field or k, defer as -1, 0 or 1), and every field's values in one
 * array in that order (masks as 0/1). `unpackObservations` reads it back.
 */
export function packObservations(list: readonly ObservationLike[]): { shapes: Float32Array; values: Float32Array } {
  const fields = (o: ObservationLike) => [o.task, o.servers, o.mask, o.tasks, o.pairs, o.global] as const;
  let total = 0;
  for (const o of list) for (const f of fields(o)) total += f?.length ?? 0;
  const shapes = new Float32Array(list.length * PACKED_OBSERVATION_HEADER);
  const values = new Float32Array(total);
  let at = 0;
  list.forEach((o, i) => {
    const lengths = fields(o).map((f) => f?.length ?? -1);
    shapes.set([o.n, o.k ?? -1, ...lengths, o.defer === undefined ? -1 : o.defer ? 1 : 0], i * PACKED_OBSERVATION_HEADER);
    for (const f of fields(o)) {
      if (f === undefined) continue;
      values.set(f, at);
      at += f.length;
    }
  });
  return { shapes, values };
}

/** What `packObservations` packed. */
export function unpackObservations(shapes: Float32Array, values: Float32Array): ObservationLike[] {
  let at = 0;
  const take = (length: number) => {
    const out = values.slice(at, at + length);
    at += length;
    return out;
  };
  const out: ObservationLike[] = [];
  for (let o = 0; o < shapes.length / PACKED_OBSERVATION_HEADER; o++) {
    const h = shapes.subarray(o * PACKED_OBSERVATION_HEADER, (o + 1) * PACKED_OBSERVATION_HEADER);
    const [n, k, task, servers, mask, tasks, pairs, global, defer] = Array.from(h) as [number, number, number, number, number, number, number, number, number];
    out.push({
      task: take(task),
      servers: take(servers),
      mask: Uint8Array.from(take(mask)),
      n,
      ...(tasks < 0 ? {} : { tasks: take(tasks) }),
      ...(pairs < 0 ? {} : { pairs: take(pairs) }),
      ...(global < 0 ? {} : { global: take(global) }),
      ...(k < 0 ? {} : { k }),
      ...(defer < 0 ? {} : { defer: defer === 1 }),
    });
  }
  return out;
}
