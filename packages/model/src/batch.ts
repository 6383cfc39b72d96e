import * as tf from '@tensorflow/tfjs';
import { ObservationLayoutError } from './errors.js';

/**
 * One observation in `@scale/env`'s layout (structurally; the model does not depend on the env).
 * The paper's observation has `task`, `servers`, `mask` and `n`; the optional fields are issue 14's
 * (task-and-server actions, defer, global context, pair features) and are absent in paper mode.
 */
export interface ObservationLike {
  /** Task features (candidate 0's in task-and-server mode). */
  readonly task: Float32Array;
  /** `n` x serverFeatures, row-major. */
  readonly servers: Float32Array;
  /** 1 where the action is valid: A = k * n (+1 with defer) entries. */
  readonly mask: Uint8Array;
  /** Servers in this observation. */
  readonly n: number;
  /** Candidate tasks (task-and-server mode); absent = 1. */
  readonly k?: number | undefined;
  /** k x taskFeatures, row-major; absent = `task` (k = 1). */
  readonly tasks?: Float32Array | undefined;
  /** k x n x pairFeatures: task-dependent (candidate, server) features; absent = none. */
  readonly pairs?: Float32Array | undefined;
  /** Global context (G values); absent = none. */
  readonly global?: Float32Array | undefined;
  /** Whether the last action is "defer"; absent = false. */
  readonly defer?: boolean | undefined;
}

/**
 * A batch of observations, padded to the largest N (and, with several candidates, the largest k) in
 * it. Padded server slots are excluded from the attention (`present` = 0); padded servers and
 * candidates can never be chosen (`mask` = 0).
 *
 * The action layout of a row (the mask's and the logits' columns), A = k * n (+1 with defer):
 * column `c * n + j` is "candidate c on server j" (c < k, j < n, the batch's padded k and n) and,
 * with defer, column `k * n` (the last) is "defer". A paper batch (k = 1, no defer) is the paper's
 * layout: column j is server j. An observation's own action index is `c * n_row + j` (defer:
 * `k_row * n_row`); `batchActionIndex` / `observationActionIndex` / `batchActions` convert.
 *
 * The optional fields are present exactly when an observation carries one of issue 14's fields
 * (`k`, `tasks`, `pairs`, `global`, `defer: true`) or a mask longer than n; a paper batch has none.
 */
export interface ObservationBatch {
  readonly size: number;
  /** Server slots per row (the largest N in the batch). */
  readonly n: number;
  /** size x taskFeatures (candidate 0's features). */
  readonly task: Float32Array;
  /** size x n x serverFeatures. */
  readonly servers: Float32Array;
  /** size x n, 1 for a real server; null when every row has all n. */
  readonly present: Uint8Array | null;
  /** size x A action mask (A = n in a paper batch; see the layout above). */
  readonly mask: Uint8Array;
  /** Each row's N. */
  readonly counts: Int32Array;
  /** Candidate slots per row (the largest k); absent = 1. */
  readonly k?: number;
  /** size x k x taskFeatures, padded candidates zero; absent = `task`. */
  readonly tasks?: Float32Array;
  /** Each row's k; absent = 1 for every row. */
  readonly candidates?: Int32Array;
  /** Pair features per (candidate, server): 0 or 1; absent = 0. */
  readonly pairFeatures?: number;
  /** size x k x n x pairFeatures (padding zero); absent when pairFeatures = 0. */
  readonly pairs?: Float32Array;
  /** Global features G; absent = 0. */
  readonly globalFeatures?: number;
  /** size x G; absent when G = 0. */
  readonly global?: Float32Array;
  /** Whether each row's last action is "defer"; absent = false. */
  readonly defer?: boolean;
  /** Actions per row, A = k * n (+1 with defer); absent = n. */
  readonly actions?: number;
}

/** The action count of an observation (or a batch row): `k * n`, plus one for defer. */
export function actionCount(k: number, n: number, defer: boolean): number {
  return k * n + (defer ? 1 : 0);
}

/** Whether an observation carries any of issue 14's fields (otherwise it is the paper's). */
function isExtended(obs: ObservationLike): boolean {
  return obs.k !== undefined || obs.tasks !== undefined || obs.pairs !== undefined || obs.global !== undefined || obs.defer === true || obs.mask.length !== obs.n;
}

/** Packs observations into one padded batch (layout above). */
export function batchObservations(observations: readonly ObservationLike[], taskFeatures = 5, serverFeatures = 5): ObservationBatch {
  const size = observations.length;
  if (size === 0) throw new RangeError('batchObservations: expected at least one observation, received 0');
  let n = 0;
  let uniform = true;
  let extended = false;
  const first = observations[0] as ObservationLike;
  for (const obs of observations) {
    if (obs.n > n) n = obs.n;
    if (obs.n !== first.n) uniform = false;
    if (isExtended(obs)) extended = true;
  }
  const task = new Float32Array(size * taskFeatures);
  const servers = new Float32Array(size * n * serverFeatures);
  const present = uniform ? null : new Uint8Array(size * n);
  const counts = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const obs = observations[b] as ObservationLike;
    if (obs.task.length !== taskFeatures) throw new ObservationLayoutError(`observation ${b}`, 'task', `${taskFeatures} features`, `${obs.task.length}`);
    if (obs.servers.length !== obs.n * serverFeatures) {
      throw new ObservationLayoutError(`observation ${b}`, 'servers', `n * ${serverFeatures} = ${obs.n * serverFeatures} values`, `${obs.servers.length}`);
    }
    copyInto(task, b * taskFeatures, obs.task, 0, taskFeatures);
    copyInto(servers, b * n * serverFeatures, obs.servers, 0, obs.n * serverFeatures);
    present?.fill(1, b * n, b * n + obs.n);
    counts[b] = obs.n;
  }
  if (!extended) {
    const mask = new Uint8Array(size * n);
    for (let b = 0; b < size; b++) mask.set((observations[b] as ObservationLike).mask, b * n);
    return { size, n, task, servers, present, mask, counts };
  }
  return { size, n, task, servers, present, counts, ...extendedFields(observations, n, taskFeatures) };
}

/** `target[at..at + count) = source[from..from + count)`. */
function copyInto(target: Float32Array, at: number, source: Float32Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) target[at + i] = source[from + i] as number;
}

/** The candidate, pair, global and defer fields and the mask of a batch with issue 14's fields. */
function extendedFields(observations: readonly ObservationLike[], n: number, taskFeatures: number) {
  const size = observations.length;
  const first = observations[0] as ObservationLike;
  const defer = first.defer === true;
  const globalFeatures = first.global?.length ?? 0;
  const firstK = first.k ?? 1;
  const pairFeatures = first.pairs === undefined ? 0 : first.pairs.length / (firstK * first.n);
  if (pairFeatures !== 0 && pairFeatures !== 1) throw new ObservationLayoutError('observation 0', 'pairs', 'k * n * pairFeatures values with pairFeatures 0 or 1', `${first.pairs?.length}`);
  let k = 1;
  const candidates = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const obs = observations[b] as ObservationLike;
    const rowK = obs.k ?? 1;
    if (!Number.isInteger(rowK) || rowK < 1) throw new ObservationLayoutError(`observation ${b}`, 'k', 'an integer >= 1', `${rowK}`);
    if ((obs.defer === true) !== defer) throw new ObservationLayoutError(`observation ${b}`, 'defer', `${defer} (as observation 0)`, `${obs.defer}`);
    if ((obs.global?.length ?? 0) !== globalFeatures) throw new ObservationLayoutError(`observation ${b}`, 'global', `${globalFeatures} values (as observation 0)`, `${obs.global?.length ?? 0}`);
    const pairs = obs.pairs?.length ?? 0;
    if (pairs !== rowK * obs.n * pairFeatures) throw new ObservationLayoutError(`observation ${b}`, 'pairs', `k * n * ${pairFeatures} = ${rowK * obs.n * pairFeatures} values`, `${pairs}`);
    if (obs.tasks === undefined ? rowK !== 1 : obs.tasks.length !== rowK * taskFeatures) {
      throw new ObservationLayoutError(`observation ${b}`, 'tasks', `k * ${taskFeatures} = ${rowK * taskFeatures} values`, `${obs.tasks?.length ?? 'none'}`);
    }
    const actions = actionCount(rowK, obs.n, defer);
    if (obs.mask.length !== actions) throw new ObservationLayoutError(`observation ${b}`, 'mask', `k * n${defer ? ' + 1' : ''} = ${actions} entries`, `${obs.mask.length}`);
    candidates[b] = rowK;
    if (rowK > k) k = rowK;
  }
  const actions = actionCount(k, n, defer);
  const tasks = new Float32Array(size * k * taskFeatures);
  const mask = new Uint8Array(size * actions);
  const pairs = new Float32Array(size * k * n * pairFeatures);
  const global = new Float32Array(size * globalFeatures);
  // Index loops rather than subarray + set: a few values per copy, where a view per copy costs more.
  for (let b = 0; b < size; b++) {
    const obs = observations[b] as ObservationLike;
    const rowK = candidates[b] as number;
    const rowN = obs.n;
    copyInto(tasks, b * k * taskFeatures, obs.tasks ?? obs.task, 0, rowK * taskFeatures);
    const rowMask = obs.mask;
    for (let c = 0; c < rowK; c++) {
      const at = b * actions + c * n;
      for (let j = 0; j < rowN; j++) mask[at + j] = rowMask[c * rowN + j] as number;
      if (pairFeatures > 0) copyInto(pairs, (b * k + c) * n, obs.pairs as Float32Array, c * rowN, rowN);
    }
    if (defer) mask[b * actions + k * n] = rowMask[rowK * rowN] as number;
    if (globalFeatures > 0) copyInto(global, b * globalFeatures, obs.global as Float32Array, 0, globalFeatures);
  }
  return {
    mask,
    k,
    tasks,
    candidates,
    pairFeatures,
    ...(pairFeatures > 0 ? { pairs } : {}),
    globalFeatures,
    ...(globalFeatures > 0 ? { global } : {}),
    defer,
    actions,
  };
}

/** A row's own action count, its k and its n. */
function rowShape(batch: ObservationBatch, row: number): { k: number; n: number; actions: number } {
  if (!Number.isInteger(row) || row < 0 || row >= batch.size) throw new RangeError(`row: expected an integer in [0, ${batch.size - 1}], received ${row}`);
  const k = batch.candidates?.[row] ?? 1;
  const n = batch.counts[row] as number;
  return { k, n, actions: actionCount(k, n, batch.defer === true) };
}

/** The batch column of observation `row`'s own action index (`c * n_row + j`, or defer `k_row * n_row`). */
export function batchActionIndex(batch: ObservationBatch, row: number, action: number): number {
  const { k, n, actions } = rowShape(batch, row);
  if (!Number.isInteger(action) || action < 0 || action >= actions) throw new RangeError(`action: expected an integer in [0, ${actions - 1}] for row ${row}, received ${action}`);
  if (action === k * n) return (batch.k ?? 1) * batch.n; // defer
  return Math.floor(action / n) * batch.n + (action % n);
}

/** Observation `row`'s own action index of batch column `column` (inverse of `batchActionIndex`). */
export function observationActionIndex(batch: ObservationBatch, row: number, column: number): number {
  const { k, n } = rowShape(batch, row);
  const slots = (batch.k ?? 1) * batch.n;
  if (batch.defer === true && column === slots) return k * n;
  const c = Math.floor(column / batch.n);
  const j = column % batch.n;
  if (!Number.isInteger(column) || column < 0 || c >= k || j >= n) {
    throw new RangeError(`column: expected a real action of row ${row} (candidate < ${k}, server < ${n}${batch.defer === true ? `, or defer ${slots}` : ''}), received ${column}`);
  }
  return c * n + j;
}

/** Every row's own action index (one per row) as batch columns. */
export function batchActions(batch: ObservationBatch, actions: ArrayLike<number>): Int32Array {
  if (actions.length !== batch.size) throw new RangeError(`actions: expected ${batch.size} values (one per row), received ${actions.length}`);
  const out = new Int32Array(batch.size);
  for (let b = 0; b < batch.size; b++) out[b] = batchActionIndex(batch, b, actions[b] as number);
  return out;
}

/** The tensors a network reads. Create and dispose them inside the caller's `tf.tidy`. */
export interface BatchTensors {
  readonly size: number;
  readonly n: number;
  readonly task: tf.Tensor2D;
  readonly servers: tf.Tensor3D;
  /** size x 1 x n: 0 for real servers, -1e9 for padding (added to attention scores and logits); null when unpadded. */
  readonly attentionBias: tf.Tensor3D | null;
  /** size x A: 1 where the action is valid. */
  readonly mask: tf.Tensor2D;
  // Issue 14's fields: absent for a paper batch.
  /** Candidate slots per row; absent = 1. */
  readonly k?: number;
  /** (size * k) x taskFeatures, the candidates' features; absent = `task`. */
  readonly tasks?: tf.Tensor2D;
  /** size x (k * n): the pair feature (pairFeatures = 1); null when none. */
  readonly pairs?: tf.Tensor2D | null;
  /** size x G; null when G = 0. */
  readonly global?: tf.Tensor2D | null;
  /** Whether the last action is defer. */
  readonly defer?: boolean;
  /** size x A: 0 for real actions, -1e9 for padded servers and candidates (added to logits); null when unpadded. */
  readonly actionBias?: tf.Tensor2D | null;
  /** size x 1 x k: 1 / k_row on each present candidate, 0 on padding (the state feature is this mean); null when k = 1. */
  readonly candidateMean?: tf.Tensor3D | null;
  /** int32, the present candidates' rows among the size * k candidate slots; null when no candidate is padded. */
  readonly candidateRows?: tf.Tensor1D | null;
  // With padded candidates, the encoder runs only the P present ones (row by row, candidate by candidate):
  /** size + 1 offsets: row b's present candidates are P-rows `candidateOffsets[b]..candidateOffsets[b + 1]`; null when no candidate is padded. */
  readonly candidateOffsets?: readonly number[] | null;
  /** P x taskFeatures, the present candidates' features; null when no candidate is padded. */
  readonly presentTasks?: tf.Tensor2D | null;
  /** P x 1: 1 / k_row per present candidate (the state feature's mean); null when no candidate is padded. */
  readonly presentWeights?: tf.Tensor2D | null;
  /** int32, size * k: each candidate slot's present row, P (a zero row) for a padded slot; null when no candidate is padded. */
  readonly candidateSlots?: tf.Tensor1D | null;
  /** P x 1 x n: each present candidate's row's `attentionBias`; null when no candidate is padded or no server is. */
  readonly presentAttentionBias?: tf.Tensor3D | null;
}

/** A large negative logit for masked actions: finite, so an all-masked row gives no NaN. */
export const MASKED_LOGIT = -1e9;

export function batchTensors(batch: ObservationBatch, taskFeatures = 5, serverFeatures = 5): BatchTensors {
  let attentionBias: tf.Tensor3D | null = null;
  if (batch.present !== null) {
    const bias = new Float32Array(batch.size * batch.n);
    for (let i = 0; i < bias.length; i++) if (batch.present[i] === 0) bias[i] = MASKED_LOGIT;
    attentionBias = tf.tensor3d(bias, [batch.size, 1, batch.n]);
  }
  const actions = batch.actions ?? batch.n;
  const base = {
    size: batch.size,
    n: batch.n,
    task: tf.tensor2d(batch.task, [batch.size, taskFeatures]),
    servers: tf.tensor3d(batch.servers, [batch.size, batch.n, serverFeatures]),
    attentionBias,
    mask: tf.tensor2d(Float32Array.from(batch.mask), [batch.size, actions]),
  };
  if (batch.tasks === undefined) return base;
  const { size, n } = batch;
  const k = batch.k ?? 1;
  const candidates = batch.candidates ?? new Int32Array(size).fill(1);
  let paddedCandidates = false;
  for (let b = 0; b < size; b++) if (candidates[b] !== k) paddedCandidates = true;
  let actionBias: tf.Tensor2D | null = null;
  if (paddedCandidates || batch.present !== null) {
    const bias = new Float32Array(size * actions);
    for (let b = 0; b < size; b++) {
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < n; j++) if (c >= (candidates[b] as number) || j >= (batch.counts[b] as number)) bias[b * actions + c * n + j] = MASKED_LOGIT;
      }
    }
    actionBias = tf.tensor2d(bias, [size, actions]);
  }
  let candidateMean: tf.Tensor3D | null = null;
  let candidateRows: tf.Tensor1D | null = null;
  if (k > 1) {
    const weights = new Float32Array(size * k);
    for (let b = 0; b < size; b++) weights.fill(1 / (candidates[b] as number), b * k, b * k + (candidates[b] as number));
    candidateMean = tf.tensor3d(weights, [size, 1, k]);
  }
  let present: Pick<BatchTensors, 'candidateOffsets' | 'presentTasks' | 'presentWeights' | 'candidateSlots' | 'presentAttentionBias'> = {};
  if (paddedCandidates) {
    const rows: number[] = [];
    for (let b = 0; b < size; b++) for (let c = 0; c < (candidates[b] as number); c++) rows.push(b * k + c);
    candidateRows = tf.tensor1d(rows, 'int32');
    present = presentCandidateTensors(batch, candidates, k, rows.length, taskFeatures);
  }
  const pairFeatures = batch.pairFeatures ?? 0;
  const globalFeatures = batch.globalFeatures ?? 0;
  return {
    ...base,
    k,
    tasks: tf.tensor2d(batch.tasks, [size * k, taskFeatures]),
    pairs: pairFeatures > 0 && batch.pairs !== undefined ? tf.tensor2d(batch.pairs, [size, k * n]) : null,
    global: globalFeatures > 0 && batch.global !== undefined ? tf.tensor2d(batch.global, [size, globalFeatures]) : null,
    defer: batch.defer === true,
    actionBias,
    candidateMean,
    candidateRows,
    ...present,
  };
}

/** The present candidates' tensors of a batch with padded candidates (`BatchTensors` above). */
function presentCandidateTensors(batch: ObservationBatch, candidates: Int32Array, k: number, P: number, taskFeatures: number) {
  const { size, n } = batch;
  const tasks = batch.tasks as Float32Array;
  const offsets = new Array<number>(size + 1);
  const presentTasks = new Float32Array(P * taskFeatures);
  const weights = new Float32Array(P);
  const slots = new Int32Array(size * k).fill(P);
  const bias = batch.present === null ? null : new Float32Array(P * n);
  let p = 0;
  for (let b = 0; b < size; b++) {
    offsets[b] = p;
    const rowK = candidates[b] as number;
    presentTasks.set(tasks.subarray(b * k * taskFeatures, (b * k + rowK) * taskFeatures), p * taskFeatures);
    for (let c = 0; c < rowK; c++, p++) {
      weights[p] = 1 / rowK;
      slots[b * k + c] = p;
      if (bias !== null) for (let j = 0; j < n; j++) if (batch.present?.[b * n + j] === 0) bias[p * n + j] = MASKED_LOGIT;
    }
  }
  offsets[size] = p;
  return {
    candidateOffsets: offsets,
    presentTasks: tf.tensor2d(presentTasks, [P, taskFeatures]),
    presentWeights: tf.tensor2d(weights, [P, 1]),
    candidateSlots: tf.tensor1d(slots, 'int32'),
    presentAttentionBias: bias === null ? null : tf.tensor3d(bias, [P, 1, n]),
  };
}

/** Replaces invalid actions' logits (mask 0) by MASKED_LOGIT; `mask` is a float 0/1 tensor. */
export function maskLogits(logits: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  // logits * mask + (1 - mask) * MASKED_LOGIT, without a boolean tensor (keeps gradients simple).
  return tf.add(tf.mul(logits, mask), tf.mul(tf.sub(1, mask), MASKED_LOGIT)) as tf.Tensor2D;
}
