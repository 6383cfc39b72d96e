import * as tf from '@tensorflow/tfjs';
import { MASKED_LOGIT } from '@scale/model';

// The imitation loss in two forms, as PPO's: `imitationLoss` in tfjs ops (the definition; tests
// differentiate it with tfjs's autodiff) and `imitationLossGradient`, the same loss and its
// hand-derived gradient on logits read back from tfjs (what DAgger trains with).

/**
 * The set cross-entropy of a minibatch: with `p = softmax(z)` over the (masked) logits and S the
 * actions the expert calls optimal, `mean(-log sum_{a in S} p_a)`. An expert often has several equally
 * good actions (a task on any of a class's idle servers, or ties between decisions); plain
 * cross-entropy on one of them would push the policy away from the others and never reach 0.
 */
export function imitationLoss(args: { readonly logits: tf.Tensor2D; readonly optimal: tf.Tensor2D }): tf.Scalar {
  const logProb = tf.logSoftmax(args.logits);
  // log sum over S of p: log-sum-exp of the log-probabilities, with the others pushed to -inf.
  const inSet = tf.add(logProb, tf.mul(tf.sub(1, args.optimal), MASKED_LOGIT));
  return tf.neg(tf.mean(tf.logSumExp(inSet, 1))) as tf.Scalar;
}

/** `imitationLoss`'s terms as numbers: means over the minibatch. */
export interface ImitationLossValues {
  /** The set cross-entropy (nats; 0 when the policy puts all its mass on optimal actions). */
  readonly loss: number;
  /** Share of rows whose most probable action is optimal. */
  readonly accuracy: number;
  /** Mean entropy of the policy (nats). */
  readonly entropy: number;
}

/**
 * `imitationLoss` on logits read back from tfjs, with its gradient with respect to them, in float64.
 * Per row, with `P_S = sum_{a in S} p_a`: `d/dz_j = w (p_j - 1[j in S] p_j / P_S)`. In mask mode
 * invalid logits are MASKED_LOGIT (probability 0) and get no gradient, as in PPO.
 */
export function imitationLossGradient(args: {
  /** rows x n logits as the network gave them (padding slots already at MASKED_LOGIT). */
  readonly logits: ArrayLike<number>;
  readonly n: number;
  /** Mask mode: the rows x n valid-action mask; null in penalize mode. */
  readonly actionMask: Uint8Array | null;
  /** rows x n, 1 for each action the expert accepts (at least one per row). */
  readonly optimal: Uint8Array;
  /** Each row's weight in the means: 1 / the minibatch's row count. */
  readonly rowWeight: number;
}): { values: ImitationLossValues; logitGradient: Float32Array } {
  const { n, actionMask, optimal, rowWeight: w } = args;
  const rows = optimal.length / n;
  const logitGradient = new Float32Array(rows * n);
  const z = new Float64Array(n);
  let loss = 0;
  let accuracy = 0;
  let entropy = 0;
  for (let i = 0; i < rows; i++) {
    let max = Number.NEGATIVE_INFINITY;
    let best = 0;
    for (let j = 0; j < n; j++) {
      z[j] = actionMask !== null && actionMask[i * n + j] === 0 ? MASKED_LOGIT : (args.logits[i * n + j] as number);
      if ((z[j] as number) > max) {
        max = z[j] as number;
        best = j;
      }
    }
    let total = 0;
    let inSet = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp((z[j] as number) - max);
      total += e;
      if (optimal[i * n + j] === 1) inSet += e;
    }
    if (inSet === 0) throw new RangeError(`optimal: row ${i} accepts no action with non-zero probability`);
    const logTotal = Math.log(total);
    loss += w * (logTotal - Math.log(inSet));
    if (optimal[i * n + best] === 1) accuracy += w;
    let rowEntropy = 0;
    for (let j = 0; j < n; j++) {
      const logP = (z[j] as number) - max - logTotal;
      const p = Math.exp(logP);
      if (p > 0) rowEntropy -= p * logP;
      if (actionMask !== null && actionMask[i * n + j] === 0) continue;
      // p_j - 1[j in S] p_j / P_S, with p_j / P_S = e_j / inSet.
      const e = Math.exp((z[j] as number) - max);
      logitGradient[i * n + j] = w * (p - (optimal[i * n + j] === 1 ? e / inSet : 0));
    }
    entropy += w * rowEntropy;
  }
  return { values: { loss, accuracy, entropy }, logitGradient };
}
