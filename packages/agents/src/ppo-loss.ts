import * as tf from '@tensorflow/tfjs';
import { MASKED_LOGIT } from '@scale/model';

// The PPO loss in two forms: `ppoLoss`, tfjs tensor ops (the definition; tests differentiate it with
// tfjs's autodiff), and `ppoLossGradient`, the same loss and its hand-derived gradient on outputs read
// back from tfjs (what training runs). `ppo-loss.test.ts` holds them equal.

/** The PPO loss terms of one minibatch (tensors, inside the caller's tidy). */
export interface PpoLossTerms {
  /** policyLoss - entCoef * entropy + vfCoef * valueLoss */
  readonly loss: tf.Scalar;
  readonly policyLoss: tf.Scalar;
  readonly valueLoss: tf.Scalar;
  readonly entropy: tf.Scalar;
  readonly approxKl: tf.Scalar;
  readonly clipFraction: tf.Scalar;
}

/**
 * CleanRL's PPO loss on a minibatch: with `r = exp(log pi(a|s) - log pi_old(a|s))` and advantages A,
 * - policy: `mean(max(-A r, -A clip(r, 1 - eps, 1 + eps)))` (the clipped surrogate, negated),
 * - value: `0.5 mean((V(s) - R)^2)` (no value clipping),
 * - entropy: mean entropy of the (masked) policy; masked actions have probability 0 and add 0,
 * - diagnostics: approx KL `mean((r - 1) - log r)` (Schulman's k3) and the fraction with `|r - 1| > eps`.
 */
export function ppoLoss(args: {
  readonly logits: tf.Tensor2D;
  readonly actionOneHot: tf.Tensor2D;
  readonly oldLogProb: tf.Tensor1D;
  readonly advantage: tf.Tensor1D;
  readonly value: tf.Tensor1D;
  readonly target: tf.Tensor1D;
  readonly clipCoef: number;
  readonly entCoef: number;
  readonly vfCoef: number;
}): PpoLossTerms {
  const logProbAll = tf.logSoftmax(args.logits);
  const newLogProb = tf.sum(tf.mul(logProbAll, args.actionOneHot), 1);
  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logProbAll), logProbAll), 1))) as tf.Scalar;
  const logRatio = tf.sub(newLogProb, args.oldLogProb);
  const ratio = tf.exp(logRatio);
  const negAdvantage = tf.neg(args.advantage);
  const clipped = tf.clipByValue(ratio, 1 - args.clipCoef, 1 + args.clipCoef);
  const policyLoss = tf.mean(tf.maximum(tf.mul(negAdvantage, ratio), tf.mul(negAdvantage, clipped))) as tf.Scalar;
  const valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(args.value, args.target)))) as tf.Scalar;
  const loss = tf.add(tf.sub(policyLoss, tf.mul(args.entCoef, entropy)), tf.mul(args.vfCoef, valueLoss)) as tf.Scalar;
  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
  const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), args.clipCoef), 'float32')) as tf.Scalar;
  return { loss, policyLoss, valueLoss, entropy, approxKl, clipFraction };
}

/** `ppoLoss`'s terms as numbers: means over the minibatch (a shard gives its share of each). */
export interface PpoLossValues {
  readonly loss: number;
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly entropy: number;
  readonly approxKl: number;
  readonly clipFraction: number;
}

/**
 * `ppoLoss` evaluated on network outputs read back from tfjs, with its gradient with respect to
 * those outputs, in float64. The training step backpropagates these two gradients through the
 * network (see `ppoShardGradients`), which gives the same parameter gradient as differentiating
 * `ppoLoss` through tfjs's tape (with SRR's `srrGradient`, 330 fewer tfjs kernel calls per step,
 * counted with tf.profile). Per row, with
 * `p = softmax(z)`, `r = p_a / pi_old(a)` and `w` the row's weight in the minibatch means:
 * - policy, `max(-A r, -A clip(r, 1 - eps, 1 + eps))`: `d/dr = -A` where the unclipped branch is
 *   the max (ties included, as tf.maximum), else 0; then `d r / d z_j = r (1[j = a] - p_j)`;
 * - entropy bonus, `-entCoef H` with `H = -sum p log p`: `d/dz_j = entCoef p_j (log p_j + H)`;
 * - value, `vfCoef 0.5 (V - R)^2`: `d/dV = vfCoef (V - R)`;
 * - mask mode: invalid logits are replaced by MASKED_LOGIT (`maskLogits`), so they get no gradient.
 */
export function ppoLossGradient(args: {
  /**
   * rows x n logits as the network gave them (padding slots already at MASKED_LOGIT); n is the
   * batch's action count A (the servers N in a paper batch; k N, plus defer, with task-and-server).
   */
  readonly logits: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly n: number;
  /** Mask mode: the rows x n valid-action mask; null in penalize mode. */
  readonly actionMask: Uint8Array | null;
  readonly actions: Int32Array;
  readonly oldLogProbs: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  readonly clipCoef: number;
  readonly entCoef: number;
  readonly vfCoef: number;
  /** Each row's weight in the means: 1 / the minibatch's row count. */
  readonly rowWeight: number;
}): { values: PpoLossValues; logitGradient: Float32Array; valueGradient: Float32Array } {
  const { n, actionMask, clipCoef, entCoef, vfCoef, rowWeight: w } = args;
  const rows = args.values.length;
  const logitGradient = new Float32Array(rows * n);
  const valueGradient = new Float32Array(rows);
  const z = new Float64Array(n);
  const logProb = new Float64Array(n);
  const prob = new Float64Array(n);
  let policyLoss = 0;
  let valueLoss = 0;
  let entropy = 0;
  let approxKl = 0;
  let clipFraction = 0;
  for (let i = 0; i < rows; i++) {
    // log-softmax of the (masked) logits
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      z[j] = actionMask !== null && actionMask[i * n + j] === 0 ? MASKED_LOGIT : (args.logits[i * n + j] as number);
      if ((z[j] as number) > max) max = z[j] as number;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += exp((z[j] as number) - max);
    const logSum = max + Math.log(sum);
    let rowEntropy = 0;
    for (let j = 0; j < n; j++) {
      logProb[j] = (z[j] as number) - logSum;
      prob[j] = exp(logProb[j] as number);
      rowEntropy -= (prob[j] as number) * (logProb[j] as number);
    }
    // the clipped surrogate
    const action = args.actions[i] as number;
    const advantage = args.advantages[i] as number;
    const logRatio = (logProb[action] as number) - (args.oldLogProbs[i] as number);
    const ratio = Math.exp(logRatio);
    const clipped = Math.min(Math.max(ratio, 1 - clipCoef), 1 + clipCoef);
    const unclippedTerm = -advantage * ratio;
    const clippedTerm = -advantage * clipped;
    // Where the clipped branch is the larger, r is outside the clip range and clip(r) is flat.
    const dPolicyDRatio = unclippedTerm >= clippedTerm ? -advantage : 0;
    policyLoss += w * Math.max(unclippedTerm, clippedTerm);
    // the value regression
    const error = (args.values[i] as number) - (args.returns[i] as number);
    valueLoss += w * 0.5 * error * error;
    valueGradient[i] = w * vfCoef * error;
    entropy += w * rowEntropy;
    approxKl += w * (ratio - 1 - logRatio);
    if (Math.abs(ratio - 1) > clipCoef) clipFraction += w;
    // d loss / d z_j
    for (let j = 0; j < n; j++) {
      if (actionMask !== null && actionMask[i * n + j] === 0) continue;
      const p = prob[j] as number;
      const policy = dPolicyDRatio * ratio * ((j === action ? 1 : 0) - p);
      const bonus = entCoef * p * ((logProb[j] as number) + rowEntropy);
      logitGradient[i * n + j] = w * (policy + bonus);
    }
  }
  const loss = policyLoss - entCoef * entropy + vfCoef * valueLoss;
  return { values: { loss, policyLoss, valueLoss, entropy, approxKl, clipFraction }, logitGradient, valueGradient };
}

/**
 * Below this Math.exp returns 0 (fdlibm's underflow threshold): masked and padded logits (MASKED_LOGIT)
 * skip the call and get the same 0.
 */
const EXP_UNDERFLOW = -745.1332191019411;

/** Math.exp, without the call where it underflows to 0 (the same value). */
function exp(x: number): number {
  return x < EXP_UNDERFLOW ? 0 : Math.exp(x);
}
