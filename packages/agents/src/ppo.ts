import * as tf from '@tensorflow/tfjs';
import { FastNetwork, MASKED_LOGIT, Network, type ObservationLike, PackedAdam, batchObservations, batchTensors, type ModelConfigInput, packTensors } from '@scale/model';
import { type MomentsData, type SrrConfig, combineMoments, momentsOf, srrGradient } from '@scale/srr';
import { Rng, type RngState, parseConfig } from '@scale/workload';
import { z } from 'zod';
import { BaseAgent, type CommonAgentOptions, rngFrom } from './base-agent.js';
import type { Callback } from './callbacks.js';
import { NonFiniteLossError } from './errors.js';
import { computeGae } from './gae.js';
import { GradientThreads } from './gradient-threads.js';
import type { ShardArrays } from './internal/shard-channel.js';
import { copyObservation } from './internal/observations.js';
import { applyMask, argmax, logSumExp, sampleCategorical } from './internal/sampling.js';
import type { Method } from './method.js';
import type { VecEnvLike } from './types.js';

/** PPO's hyperparameters (DESIGN.md section 3; CleanRL's ppo.py names where they exist). */
export const PpoConfigSchema = z
  .object({
    /** Steps per env per collect; the rollout is numEnvs x stepsPerEnv (paper: 4 x 256 = 1024). */
    stepsPerEnv: z.number().int().min(1).max(1_000_000).default(256),
    /** Adam step size at epoch 1 (our choice: 3e-4). */
    learningRate: z.number().positive().max(1).default(3e-4),
    /** `cosine`: lr_e = lr * 0.5 (1 + cos(pi (e - 1) / E)), decaying to 0 (stated); `constant`. */
    lrSchedule: z.enum(['cosine', 'constant']).default('cosine'),
    /** Discount (stated: 0.99). */
    gamma: z.number().min(0).max(1).default(0.99),
    /** GAE lambda (stated: 0.95). */
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /** Passes over each rollout (stated: 8). */
    updateEpochs: z.number().int().min(1).max(1000).default(8),
    /** Minibatch size (stated: 256, so 4 minibatches x 8 passes = 32 gradient steps per collect). */
    minibatchSize: z.number().int().min(1).max(1_000_000).default(256),
    /** Surrogate clipping epsilon (stated: 0.2). */
    clipCoef: z.number().positive().max(10).default(0.2),
    /** Entropy bonus coefficient (stated: 0.01). */
    entCoef: z.number().min(0).max(10).default(0.01),
    /** Value loss coefficient (chosen: 0.5; no value clipping). */
    vfCoef: z.number().min(0).max(100).default(0.5),
    /** Global gradient-norm clip (stated: 0.5). */
    maxGradNorm: z.number().positive().default(0.5),
    /** Normalize advantages per minibatch (stated; CleanRL's default). */
    normAdv: z.boolean().default(true),
    /** Adam epsilon (chosen: 1e-5, CleanRL's). */
    adamEpsilon: z.number().positive().max(1).default(1e-5),
    /** Stop an epoch's update early when approx KL exceeds this (null: never; CleanRL's target_kl). */
    targetKl: z.number().positive().nullable().default(null),
  })
  .strict();
export type PpoConfig = z.output<typeof PpoConfigSchema>;
export type PpoConfigInput = z.input<typeof PpoConfigSchema>;

export interface PpoOptions extends CommonAgentOptions {
  readonly config?: PpoConfigInput;
  /** Network overrides (encoder, widths); `servers` is required for the MLP encoder. */
  readonly model?: Omit<ModelConfigInput, 'encoder' | 'outputs' | 'seed'>;
  /**
   * Threads that compute each minibatch's gradient (data parallel; default 1). With k > 1 this
   * thread and k - 1 worker threads each take 1/k of the minibatch, exchange their feature moments
   * mid-forward so SRR still sees the whole minibatch, and their gradients are summed: the same
   * update up to float summation order. An execution setting like a device, not a hyperparameter.
   */
  readonly updateThreads?: number;
}

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
  /** rows x n logits as the network gave them (padding slots already at MASKED_LOGIT). */
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
    for (let j = 0; j < n; j++) sum += Math.exp((z[j] as number) - max);
    const logSum = max + Math.log(sum);
    let rowEntropy = 0;
    for (let j = 0; j < n; j++) {
      logProb[j] = (z[j] as number) - logSum;
      rowEntropy -= Math.exp(logProb[j] as number) * (logProb[j] as number);
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
      const p = Math.exp(logProb[j] as number);
      const policy = dPolicyDRatio * ratio * ((j === action ? 1 : 0) - p);
      const bonus = entCoef * p * ((logProb[j] as number) + rowEntropy);
      logitGradient[i * n + j] = w * (policy + bonus);
    }
  }
  const loss = policyLoss - entCoef * entropy + vfCoef * valueLoss;
  return { values: { loss, policyLoss, valueLoss, entropy, approxKl, clipFraction }, logitGradient, valueGradient };
}

/** The loss settings a shard's gradient needs (the same on every thread). */
export interface PpoShardSettings {
  readonly clipCoef: number;
  readonly entCoef: number;
  readonly vfCoef: number;
  /** Mask mode: invalid actions' logits are masked. */
  readonly mask: boolean;
  readonly srr: SrrConfig | null;
  readonly epoch: number;
}

/** Trades this shard's feature moments for the other shards' (combined); blocks until they arrive. */
export type MomentsExchange = (local: MomentsData) => MomentsData;

/** The diagnostics `ppoShardGradients` returns, in this order. */
export const SHARD_DIAGNOSTICS = ['ppoLoss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction', 'srrDecorrelation', 'srrKl', 'srrTotal', 'srrWeight'] as const;

/**
 * The gradient of the PPO (+ SRR) loss on one shard of a minibatch, packed in the network's
 * variable order. The PPO terms are means over the whole minibatch (`shard.weight` = this shard's
 * share of its rows), so shards' gradients add up to the minibatch's. SRR needs the whole
 * minibatch's feature covariance: with `exchange` null the shard is the minibatch; otherwise the
 * shard's feature moments are pooled with the others' (`combineMoments`). Diagnostics (in the order
 * of `SHARD_DIAGNOSTICS`): the PPO terms weighted by `shard.weight`, the SRR terms of the minibatch.
 *
 * The forward pass runs on tfjs's tape; the loss and its gradient with respect to the network's
 * outputs (logits, values, SRR's features) are computed on the outputs read back
 * (`ppoLossGradient`, `srrGradient`); then one backward pass of `sum(outputs * their gradients)`,
 * whose parameter gradient is the loss's by the chain rule.
 */
export function ppoShardGradients(network: Network, shard: ShardArrays, settings: PpoShardSettings, exchange: MomentsExchange | null): { gradients: Float32Array; diagnostics: Float64Array } {
  const variables = network.trainableVariables();
  const { batch } = shard;
  const rows = batch.size;
  let diagnostics: Float64Array = new Float64Array(0);
  let gradients: Float32Array = new Float32Array(0);
  tf.tidy(() => {
    const input = batchTensors(batch, network.config.taskFeatures, network.config.serverFeatures);
    const { grads } = tf.variableGrads(() => {
      const out = network.apply(input);
      const logits = out.logits as tf.Tensor2D;
      const value = out.value as tf.Tensor1D;
      // 1. The PPO loss and its gradient with respect to the logits and values.
      const ppo = ppoLossGradient({
        logits: logits.dataSync(),
        values: value.dataSync(),
        n: batch.n,
        actionMask: settings.mask ? batch.mask : null,
        actions: shard.actions,
        oldLogProbs: shard.oldLogProbs,
        advantages: shard.advantages,
        returns: shard.returns,
        clipCoef: settings.clipCoef,
        entCoef: settings.entCoef,
        vfCoef: settings.vfCoef,
        rowWeight: shard.weight / rows,
      });
      const weighted = ppo.values;
      diagnostics = Float64Array.from([weighted.loss, weighted.policyLoss, weighted.valueLoss, weighted.entropy, weighted.approxKl, weighted.clipFraction, 0, 0, 0, 0]);
      let surrogate = tf.add(tf.sum(tf.mul(logits, tf.tensor2d(ppo.logitGradient, logits.shape))), tf.sum(tf.mul(value, tf.tensor1d(ppo.valueGradient))));
      // 2. SRR on the encoder features: the minibatch's (pooled) moments, this shard's rows of the gradient.
      if (settings.srr !== null) {
        const features = out.feature.dataSync();
        const local = momentsOf(features, rows, out.feature.shape[1]);
        const srr = srrGradient(features, rows, exchange === null ? local : combineMoments(local, exchange(local)), settings.epoch, settings.srr);
        diagnostics.set([srr.decorrelation, srr.kl, srr.total, srr.weight], 6);
        surrogate = tf.add(surrogate, tf.sum(tf.mul(out.feature, tf.tensor2d(srr.gradient, out.feature.shape))));
      }
      // 3. Backpropagate: d surrogate / d parameters = d loss / d parameters.
      return surrogate as tf.Scalar;
    }, variables);
    gradients = packTensors(variables.map((v) => grads[v.name] as tf.Tensor));
  });
  return { gradients, diagnostics };
}

/**
 * Proximal Policy Optimization (Schulman et al. 2017) as in CleanRL's ppo.py, on the shared-encoder
 * actor-critic: pointer policy and critic on the attention feature (or the MLP baseline). With
 * `method.srr` set, SRR's warmed-up decorrelation and KL terms on the encoder feature join the loss.
 *
 * Per epoch: collect `numEnvs x stepsPerEnv` steps with the fast path, compute GAE, then
 * `updateEpochs` passes of shuffled minibatches of the clipped-surrogate loss.
 */
export class PPO extends BaseAgent {
  readonly kind = 'ppo' as const;
  readonly config: PpoConfig;
  readonly network: Network;
  private readonly fast: FastNetwork;
  private readonly optimizer: PackedAdam;
  /** Samples behaviour actions. */
  private actionRng: Rng;
  /** Shuffles minibatches. */
  private shuffleRng: Rng;
  private readonly srr: SrrConfig | null;
  private readonly scratch = new Float64Array(1024);
  /** Threads per minibatch gradient (`PpoOptions.updateThreads`). */
  readonly updateThreads: number;
  /** What every minibatch's loss needs but the epoch (the same for the whole run). */
  private readonly lossSettings: Omit<PpoShardSettings, 'epoch'>;
  /** The worker threads, started at the first update when `updateThreads` > 1. */
  private threads: GradientThreads | null = null;

  constructor(env: VecEnvLike, method: Method, options: PpoOptions) {
    super(env, method, options);
    if (method.agent !== 'ppo') throw new Error(`PPO cannot train a ${method.agent} method`);
    this.config = parseConfig(PpoConfigSchema, options.config ?? {}, 'ppo');
    this.srr = method.srr;
    this.network = new Network({ ...options.model, encoder: method.encoder, outputs: { policy: true, value: true, q: false }, seed: options.seed });
    this.fast = new FastNetwork(this.network);
    this.optimizer = new PackedAdam(this.network.trainableVariables(), { epsilon: this.config.adamEpsilon, maxGradNorm: this.config.maxGradNorm });
    const root = new Rng(options.seed);
    this.actionRng = root.child('ppo:actions');
    this.shuffleRng = root.child('ppo:minibatches');
    const threads = options.updateThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new RangeError(`updateThreads: expected an integer in [1, 64], received ${threads}`);
    this.updateThreads = threads;
    this.lossSettings = { clipCoef: this.config.clipCoef, entCoef: this.config.entCoef, vfCoef: this.config.vfCoef, mask: this.common.mask, srr: this.srr };
  }

  act(observations: readonly ObservationLike[], options: { deterministic?: boolean } = {}): Int32Array {
    const actions = new Int32Array(observations.length);
    observations.forEach((obs, i) => {
      actions[i] = this.sample(obs, options.deterministic ?? false).action;
    });
    return actions;
  }

  /** One observation through the fast path: action, its log-probability, V(s). */
  private sample(obs: ObservationLike, deterministic: boolean): { action: number; logProb: number; value: number } {
    const out = this.fast.forward(obs);
    const logits = this.scratch.length >= obs.n ? this.scratch : new Float64Array(obs.n);
    applyMask(out.logits as Float32Array, obs.mask, this.common.mask, logits);
    const action = deterministic ? argmax(logits, obs.n) : sampleCategorical(logits, obs.n, this.actionRng);
    return { action, logProb: (logits[action] as number) - logSumExp(logits, obs.n), value: out.value };
  }

  /** The learning rate at `epoch` of `total` (cosine decay to 0, or constant). */
  learningRateAt(epoch: number, total: number): number {
    if (this.config.lrSchedule === 'constant') return this.config.learningRate;
    return this.config.learningRate * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / total));
  }

  protected trainEpoch(epoch: number, totalEpochs: number, callbacks: readonly Callback[]): Record<string, number> {
    const k = this.env.numEnvs;
    const T = this.config.stepsPerEnv;
    const size = T * k;

    // 1. Collect T steps from each env with the current policy (time-major storage).
    const observations: ObservationLike[] = new Array(size);
    const actions = new Int32Array(size);
    const logProbs = new Float32Array(size);
    const values = new Float32Array(size);
    const rewards = new Float32Array(size);
    const terminated = new Uint8Array(size);
    const truncated = new Uint8Array(size);
    const valid = new Uint8Array(size);
    const stepActions = new Int32Array(k);
    let steps = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < k; i++) {
        const obs = this.observation(i);
        const { action, logProb, value } = this.sample(obs, false);
        const idx = t * k + i;
        observations[idx] = copyObservation(obs);
        actions[idx] = action;
        logProbs[idx] = logProb;
        values[idx] = value;
        stepActions[i] = action;
      }
      const result = this.stepEnvs(stepActions, callbacks);
      rewards.set(result.rewards, t * k);
      terminated.set(result.terminated, t * k);
      truncated.set(result.truncated, t * k);
      valid.set(result.valid, t * k);
      steps = t + 1;
      if (this.shouldStop) break;
    }
    const used = steps * k;
    const nextValues = new Float32Array(k);
    for (let i = 0; i < k; i++) nextValues[i] = this.fast.forward(this.observation(i)).value;

    // 2. Advantages by GAE(lambda); returns = advantages + values are the critic's targets.
    const { advantages, returns } = computeGae({
      steps,
      envs: k,
      rewards: rewards.subarray(0, used),
      values: values.subarray(0, used),
      nextValues,
      terminated,
      truncated,
      valid,
      gamma: this.config.gamma,
      lambda: this.config.gaeLambda,
    });

    // 3. Optimize the clipped surrogate over shuffled minibatches of the valid steps.
    const learningRate = this.learningRateAt(epoch, totalEpochs);
    const indices: number[] = [];
    for (let idx = 0; idx < used; idx++) if (valid[idx] === 1) indices.push(idx);
    const sums = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, srrDecorrelation: 0, srrKl: 0, gradNorm: 0 };
    let updates = 0;
    let srrWeight = 0;
    let stoppedOnKl = 0;
    for (let pass = 0; pass < this.config.updateEpochs && stoppedOnKl === 0; pass++) {
      this.shuffleRng.shuffle(indices);
      for (let start = 0; start < indices.length; start += this.config.minibatchSize) {
        const batchIndices = indices.slice(start, start + this.config.minibatchSize);
        if (batchIndices.length < 2) continue; // a 1-sample minibatch has no advantage spread or covariance
        const stats = this.updateMinibatch(batchIndices, { observations, actions, logProbs, advantages, returns }, epoch, learningRate);
        for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += stats[key];
        srrWeight = stats.srrWeight;
        updates += 1;
        if (this.config.targetKl !== null && stats.approxKl > this.config.targetKl) {
          stoppedOnKl = 1;
          break;
        }
      }
    }
    this.fast.refresh();

    // 4. Diagnostics: averages over the minibatch updates, and how much of the return variance V explains.
    const mean = (x: number) => (updates > 0 ? x / updates : Number.NaN);
    return {
      learningRate,
      policyLoss: mean(sums.policyLoss),
      valueLoss: mean(sums.valueLoss),
      entropy: mean(sums.entropy),
      approxKl: mean(sums.approxKl),
      clipFraction: mean(sums.clipFraction),
      explainedVariance: explainedVariance(indices.map((i) => values[i] as number), indices.map((i) => returns[i] as number)),
      gradNorm: mean(sums.gradNorm),
      srrWeight,
      srrDecorrelation: this.srr === null ? Number.NaN : mean(sums.srrDecorrelation),
      srrKl: this.srr === null ? Number.NaN : mean(sums.srrKl),
      updates,
      stoppedOnKl,
    };
  }

  /**
   * One gradient step on a minibatch; returns its diagnostics. With `updateThreads` k > 1 the
   * minibatch is cut into k contiguous shards, this thread computing the first.
   */
  private updateMinibatch(
    batchIndices: readonly number[],
    rollout: {
      observations: readonly ObservationLike[];
      actions: Int32Array;
      logProbs: Float32Array;
      advantages: Float32Array;
      returns: Float32Array;
    },
    epoch: number,
    learningRate: number,
  ): Record<'policyLoss' | 'valueLoss' | 'entropy' | 'approxKl' | 'clipFraction' | 'srrDecorrelation' | 'srrKl' | 'gradNorm' | 'srrWeight', number> {
    // Advantages are normalized over the whole minibatch, before it is cut into shards.
    const advantages = Float64Array.from(batchIndices, (i) => rollout.advantages[i] as number);
    if (this.config.normAdv) normalize(advantages);
    const shardCount = Math.min(this.updateThreads, batchIndices.length);
    const shards: ShardArrays[] = [];
    for (let s = 0; s < shardCount; s++) {
      const from = Math.floor((s * batchIndices.length) / shardCount);
      const to = Math.floor(((s + 1) * batchIndices.length) / shardCount);
      const rows = batchIndices.slice(from, to);
      shards.push({
        batch: batchObservations(rows.map((i) => rollout.observations[i] as ObservationLike)),
        actions: Int32Array.from(rows, (i) => rollout.actions[i] as number),
        oldLogProbs: Float32Array.from(rows, (i) => rollout.logProbs[i] as number),
        advantages: Float32Array.from(advantages.subarray(from, to)),
        returns: Float32Array.from(rows, (i) => rollout.returns[i] as number),
        weight: rows.length / batchIndices.length,
      });
    }
    let result: { gradients: Float32Array; diagnostics: Float64Array };
    if (shardCount === 1) {
      result = ppoShardGradients(this.network, shards[0] as ShardArrays, { ...this.lossSettings, epoch }, null);
    } else {
      this.threads ??= new GradientThreads(this.network, this.updateThreads, this.lossSettings);
      result = this.threads.compute(shards, epoch, this.optimizer.parameters);
    }
    const [ppoLossValue, policyLoss, valueLoss, entropy, approxKl, clipFraction, srrDecorrelation, srrKl, srrTotal, srrWeight] = Array.from(result.diagnostics);
    const terms: [string, number][] = [
      ['loss', (ppoLossValue as number) + (srrTotal as number)],
      ['policyLoss', policyLoss as number],
      ['valueLoss', valueLoss as number],
    ];
    for (const [term, value] of terms) if (!Number.isFinite(value)) throw new NonFiniteLossError(epoch, term, value);
    const { gradNorm } = this.optimizer.applyFlat(result.gradients, learningRate);
    return {
      policyLoss: policyLoss as number,
      valueLoss: valueLoss as number,
      entropy: entropy as number,
      approxKl: approxKl as number,
      clipFraction: clipFraction as number,
      srrDecorrelation: srrDecorrelation as number,
      srrKl: srrKl as number,
      gradNorm,
      srrWeight: srrWeight as number,
    };
  }

  protected checkpointNetworks(): Record<string, Network> {
    return { policy: this.network };
  }
  protected checkpointOptimizers(): Record<string, PackedAdam> {
    return { policy: this.optimizer };
  }
  protected rngStreams(): Record<string, Rng> {
    return { actions: this.actionRng, minibatches: this.shuffleRng };
  }
  protected restoreRngs(states: Record<string, RngState>): void {
    this.actionRng = rngFrom(states, 'actions');
    this.shuffleRng = rngFrom(states, 'minibatches');
  }
  protected afterLoad(): void {
    this.optimizer.syncFromVariables();
    this.fast.refresh();
  }
  dispose(): void {
    this.threads?.dispose();
    this.threads = null;
    this.network.dispose();
  }
}

/** In-place (x - mean) / (std + 1e-8), the sample std as in CleanRL. */
function normalize(x: Float64Array): void {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) * (v - mean);
  const std = Math.sqrt(variance / Math.max(1, x.length - 1));
  for (let i = 0; i < x.length; i++) x[i] = ((x[i] as number) - mean) / (std + 1e-8);
}

/** 1 - Var(returns - values) / Var(returns): 1 is a perfect critic, 0 no better than a constant. */
export function explainedVariance(predicted: readonly number[], actual: readonly number[]): number {
  const n = actual.length;
  if (n === 0) return Number.NaN;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: readonly number[]) => {
    const m = mean(xs);
    return xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length;
  };
  const varActual = variance(actual);
  if (varActual === 0) return Number.NaN;
  return 1 - variance(actual.map((a, i) => a - (predicted[i] as number))) / varActual;
}
