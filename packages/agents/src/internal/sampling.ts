import { MASKED_LOGIT } from '@scale/model';
import type { Rng } from '@scale/workload';

// Masked categorical choice over one observation's N actions, in float64: what every policy acts with.

/** Writes masked logits into `out` (MASKED_LOGIT where mask is 0) when `useMask`, else copies. */
export function applyMask(logits: ArrayLike<number>, mask: Uint8Array, useMask: boolean, out: Float64Array): void {
  for (let j = 0; j < mask.length; j++) out[j] = useMask && mask[j] === 0 ? MASKED_LOGIT : (logits[j] as number);
}

/** log-sum-exp of the first n entries. */
export function logSumExp(logits: Float64Array, n: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) if ((logits[j] as number) > max) max = logits[j] as number;
  let total = 0;
  for (let j = 0; j < n; j++) total += Math.exp((logits[j] as number) - max);
  return max + Math.log(total);
}

/** Samples from softmax(logits[0..n)) with one uniform draw; returns the action. */
export function sampleCategorical(logits: Float64Array, n: number, rng: Rng): number {
  const lse = logSumExp(logits, n);
  let u = rng.next();
  for (let j = 0; j < n; j++) {
    u -= Math.exp((logits[j] as number) - lse);
    if (u < 0) return j;
  }
  // Rounding left a sliver of mass: the last action with non-negligible probability.
  for (let j = n - 1; j >= 0; j--) if ((logits[j] as number) > MASKED_LOGIT / 2) return j;
  return n - 1;
}

/** Index of the largest of the first n entries (ties to the lowest index). */
export function argmax(values: ArrayLike<number>, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if ((values[j] as number) > (values[best] as number)) best = j;
  return best;
}

/**
 * Greedy choice when the last of the n actions is defer: defer only when the policy gives it more
 * probability than all the assignments together (softmax(logits)[n - 1] > 1/2), else the most
 * probable assignment. Argmax alone compares defer with each assignment separately although the
 * assignments are alternatives within "start a task now": a policy that starts something three
 * times in four, spread over five pairs, would defer under argmax whenever defer's share beats each
 * pair's. Ties to the lowest index, as `argmax`.
 */
export function greedyWithDefer(logits: Float64Array, n: number): number {
  const deferShare = Math.exp((logits[n - 1] as number) - logSumExp(logits, n));
  return deferShare > 0.5 ? n - 1 : argmax(logits, n - 1);
}

/** A uniformly random valid action (any action when none is valid or masking is off). */
export function randomAction(mask: Uint8Array, useMask: boolean, rng: Rng): number {
  const n = mask.length;
  if (!useMask) return rng.int(0, n - 1);
  let valid = 0;
  for (let j = 0; j < n; j++) valid += mask[j] as number;
  if (valid === 0) return rng.int(0, n - 1);
  let k = rng.int(0, valid - 1);
  for (let j = 0; j < n; j++) if (mask[j] === 1 && k-- === 0) return j;
  return n - 1;
}
