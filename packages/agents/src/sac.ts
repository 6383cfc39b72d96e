import * as tf from '@tensorflow/tfjs';
import { FastNetwork, MASKED_LOGIT, Network, type ObservationLike, PackedAdam, batchTensors, maskLogits, type ModelConfigInput } from '@scale/model';
import { Rng, type RngState, parseConfig } from '@scale/workload';
import { z } from 'zod';
import { type CommonAgentOptions, rngFrom } from './base-agent.js';
import { NonFiniteLossError } from './errors.js';
import { NetworkPolicy } from './policy.js';
import { randomAction } from './internal/sampling.js';
import { type Method, methodModelLayout } from './method.js';
import { OffPolicyAgent, type OffPolicySchedule, OffPolicyScheduleSchema } from './off-policy.js';
import { batchTransitions, ReplayBuffer, type Transition } from './replay-buffer.js';
import type { VecEnvLike } from './types.js';

/** Discrete SAC's hyperparameters (Christodoulou 2019; CleanRL's sac_atari names). */
export const SacConfigSchema = OffPolicyScheduleSchema.extend({
  /** Adam step size of actor, critics and temperature (ours: 3e-4). */
  learningRate: z.number().positive().max(1).default(3e-4),
  /** Polyak averaging of the target critics after every gradient step (0.005). */
  tau: z.number().positive().max(1).default(0.005),
  /** Target entropy = targetEntropyScale * log N (scales with the action count; 0.89 in CleanRL's discrete SAC). */
  targetEntropyScale: z.number().min(0).max(1).default(0.89),
  /** Initial temperature alpha. */
  initialAlpha: z.number().positive().default(0.2),
  /** Learn alpha toward the target entropy (false: fixed alpha). */
  autotune: z.boolean().default(true),
  /** Global gradient-norm clip of each optimizer (ours: 10, as DQN). */
  maxGradNorm: z.number().positive().default(10),
}).strict();
export type SacConfig = z.output<typeof SacConfigSchema>;
export type SacConfigInput = z.input<typeof SacConfigSchema>;

export interface SacOptions extends CommonAgentOptions {
  readonly config?: SacConfigInput;
  readonly model?: Omit<ModelConfigInput, 'encoder' | 'outputs' | 'seed'>;
}

/**
 * Soft actor-critic for discrete actions (Christodoulou 2019): a categorical actor, twin Q critics
 * with Polyak-averaged targets, and automatic temperature. With the policy's full distribution
 * available, expectations over actions are exact sums:
 *   V(s') = sum_a pi(a|s') (min_i Qtarget_i(s', a) - alpha log pi(a|s'))
 *   critic: 0.5 (Q_1(s,a) - y)^2 + 0.5 (Q_2(s,a) - y)^2, y = r + gamma (1 - terminated) V(s')
 *   actor:  sum_a pi(a|s) (alpha log pi(a|s) - min_i Q_i(s, a))
 *   alpha:  log alpha * (H(pi(.|s)) - target entropy), target entropy = scale * log N.
 * Each network has its own encoder (Stable-Baselines3 and CleanRL do not share one either).
 */
export class SAC extends OffPolicyAgent {
  readonly kind = 'sac' as const;
  readonly config: SacConfig;
  readonly actor: Network;
  readonly q1: Network;
  readonly q2: Network;
  readonly q1Target: Network;
  readonly q2Target: Network;
  protected readonly schedule: OffPolicySchedule;
  protected replay: ReplayBuffer;
  protected sampleRng: Rng;
  private readonly fast: FastNetwork;
  private readonly actorOptimizer: PackedAdam;
  private readonly criticOptimizer: PackedAdam;
  private readonly logAlpha: tf.Variable;
  private readonly alphaOptimizer: PackedAdam;
  /** The actor's argmax (`act`'s default). */
  private readonly greedy: NetworkPolicy;
  /** Samples the actor's policy; its stream also draws the random actions before `learningStarts`. */
  private readonly sampling: NetworkPolicy;

  constructor(env: VecEnvLike, method: Method, options: SacOptions) {
    super(env, method, options);
    if (method.agent !== 'sac') throw new Error(`SAC cannot train a ${method.agent} method`);
    if (method.srr !== null) throw new Error('SAC: SRR is defined for PPO minibatches only (method.srr must be null)');
    this.config = parseConfig(SacConfigSchema, options.config ?? {}, 'sac');
    this.schedule = { ...this.config, nStep: 1 };
    const base = { ...methodModelLayout(method), ...options.model, encoder: method.encoder };
    this.actor = new Network({ ...base, outputs: { policy: true, value: false, q: false }, seed: options.seed });
    this.q1 = new Network({ ...base, outputs: { policy: false, value: false, q: true }, seed: options.seed + 1 });
    this.q2 = new Network({ ...base, outputs: { policy: false, value: false, q: true }, seed: options.seed + 2 });
    this.q1Target = new Network(this.q1.config);
    this.q2Target = new Network(this.q2.config);
    this.q1Target.params.copyFrom(this.q1.params);
    this.q2Target.params.copyFrom(this.q2.params);
    this.fast = new FastNetwork(this.actor);
    const clip = { maxGradNorm: this.config.maxGradNorm };
    this.actorOptimizer = new PackedAdam(this.actor.trainableVariables(), clip);
    this.criticOptimizer = new PackedAdam([...this.q1.trainableVariables(), ...this.q2.trainableVariables()], clip);
    this.logAlpha = tf.variable(tf.scalar(Math.log(this.config.initialAlpha)), true, `sac/logAlpha#${nextAlphaId++}`);
    this.alphaOptimizer = new PackedAdam([this.logAlpha]);
    this.replay = new ReplayBuffer(this.config.bufferSize);
    const root = new Rng(options.seed);
    this.sampleRng = root.child('sac:replay');
    this.greedy = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'greedy' });
    this.sampling = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'sample', rng: root.child('sac:actions') });
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.dataSync()[0] as number);
  }

  act(observations: readonly ObservationLike[], options: { deterministic?: boolean } = {}): Int32Array {
    return Int32Array.from(observations, (options.deterministic ?? true) ? this.greedy.act : this.sampling.act);
  }

  protected behaviour(obs: ObservationLike): number {
    if (this.globalStep < this.config.learningStarts) return randomAction(obs.mask, this.common.mask, this.sampling.rng);
    return this.sampling.act(obs);
  }

  protected update(batch: Transition[], epoch: number): Record<string, number> {
    const { obs, next, actions } = batchTransitions(batch, this.actor.config);
    const rewards = Float32Array.from(batch, (t) => t.reward);
    const bootstrap = Float32Array.from(batch, (t) => (t.terminated ? 0 : t.discount));
    const alpha = this.alpha;
    const policy = (network: Network, input: ReturnType<typeof batchTensors>) => {
      const logits = network.apply(input).logits as tf.Tensor2D;
      const logProbs = tf.logSoftmax(this.common.mask ? maskLogits(logits, input.mask) : logits);
      return { probs: tf.exp(logProbs), logProbs };
    };
    let criticLoss = 0;
    let actorLoss = 0;
    let entropy = 0;
    tf.tidy(() => {
      const input = batchTensors(obs);
      const nextInput = batchTensors(next);
      // Soft target from the target critics and the current policy at s'.
      const { probs: nextProbs, logProbs: nextLogProbs } = policy(this.actor, nextInput);
      const nextQ = tf.minimum(this.q1Target.apply(nextInput).q as tf.Tensor2D, this.q2Target.apply(nextInput).q as tf.Tensor2D);
      // Masked actions have probability 0; zero their terms so -1e9 Q-values of padding never enter.
      const nextSoftValue = tf.sum(tf.mul(nextProbs, tf.sub(tf.mul(nextQ, tf.cast(tf.greater(nextProbs, 0), 'float32')), tf.mul(alpha, nextLogProbs))), 1);
      const target = tf.add(tf.tensor1d(rewards), tf.mul(tf.tensor1d(bootstrap), nextSoftValue));
      const actionOneHot = tf.oneHot(tf.tensor1d(actions, 'int32'), obs.actions ?? obs.n);

      // 1. Critics.
      const criticVariables = [...this.q1.trainableVariables(), ...this.q2.trainableVariables()];
      const critic = tf.variableGrads(() => {
        const taken1 = tf.sum(tf.mul(this.q1.apply(input).q as tf.Tensor2D, actionOneHot), 1);
        const taken2 = tf.sum(tf.mul(this.q2.apply(input).q as tf.Tensor2D, actionOneHot), 1);
        return tf.add(tf.mul(0.5, tf.mean(tf.square(tf.sub(taken1, target)))), tf.mul(0.5, tf.mean(tf.square(tf.sub(taken2, target))))) as tf.Scalar;
      }, criticVariables);
      criticLoss = critic.value.dataSync()[0] as number;
      if (!Number.isFinite(criticLoss)) throw new NonFiniteLossError(epoch, 'criticLoss', criticLoss);
      this.criticOptimizer.apply(
        criticVariables.map((v) => critic.grads[v.name] as tf.Tensor),
        this.config.learningRate,
      );

      // 2. Actor, against the freshly updated critics (as CleanRL).
      // Padding slots carry -1e9 Q-values; zero them (their probability is 0 anyway).
      const rawQ = tf.minimum(this.q1.apply(input).q as tf.Tensor2D, this.q2.apply(input).q as tf.Tensor2D);
      const q = tf.where(tf.greater(rawQ, MASKED_LOGIT / 2), rawQ, tf.zerosLike(rawQ));
      const actorVariables = this.actor.trainableVariables();
      let entropyTensor: tf.Tensor | null = null;
      const actor = tf.variableGrads(() => {
        const { probs, logProbs } = policy(this.actor, input);
        entropyTensor = tf.keep(tf.mean(tf.neg(tf.sum(tf.mul(probs, logProbs), 1))));
        return tf.mean(tf.sum(tf.mul(probs, tf.sub(tf.mul(alpha, logProbs), q)), 1)) as tf.Scalar;
      }, actorVariables);
      actorLoss = actor.value.dataSync()[0] as number;
      if (!Number.isFinite(actorLoss)) throw new NonFiniteLossError(epoch, 'actorLoss', actorLoss);
      this.actorOptimizer.apply(
        actorVariables.map((v) => actor.grads[v.name] as tf.Tensor),
        this.config.learningRate,
      );
      const kept = entropyTensor as unknown as tf.Tensor;
      entropy = kept.dataSync()[0] as number;
      kept.dispose();
    });

    // 3. Temperature: d/d(log alpha) of log alpha * (H - target) is H - target (alpha grows when entropy is low).
    // log of the batch's action count: N in a paper batch, k N (+1 defer) with task-and-server actions.
    const targetEntropy = this.config.targetEntropyScale * Math.log(obs.actions ?? obs.n);
    if (this.config.autotune) {
      const gradient = tf.scalar(entropy - targetEntropy);
      this.alphaOptimizer.apply([gradient], this.config.learningRate);
      gradient.dispose();
    }
    // 4. Polyak-average the target critics.
    this.q1Target.params.copyFrom(this.q1.params, this.config.tau);
    this.q2Target.params.copyFrom(this.q2.params, this.config.tau);
    this.fast.refresh();
    return { criticLoss, actorLoss, entropy, alpha: this.alpha, targetEntropy, learningRate: this.config.learningRate };
  }

  protected afterStep(): void {}

  protected checkpointNetworks(): Record<string, Network> {
    return { actor: this.actor, q1: this.q1, q2: this.q2, q1Target: this.q1Target, q2Target: this.q2Target };
  }
  protected checkpointOptimizers(): Record<string, PackedAdam> {
    return { actor: this.actorOptimizer, critic: this.criticOptimizer, alpha: this.alphaOptimizer };
  }
  protected rngStreams(): Record<string, Rng> {
    return { sample: this.sampleRng, actions: this.sampling.rng };
  }
  protected restoreRngs(states: Record<string, RngState>): void {
    this.sampleRng = rngFrom(states, 'sample');
    this.sampling.rng = rngFrom(states, 'actions');
  }
  protected override extraState(): Record<string, unknown> {
    return { ...super.extraState(), logAlpha: this.logAlpha.dataSync()[0] };
  }
  protected override restoreExtra(arrays: Parameters<OffPolicyAgent['restoreExtra']>[0], state: Record<string, unknown>): void {
    super.restoreExtra(arrays, state);
    tf.tidy(() => this.logAlpha.assign(tf.scalar(state.logAlpha as number)));
  }
  protected afterLoad(): void {
    this.actorOptimizer.syncFromVariables();
    this.criticOptimizer.syncFromVariables();
    this.alphaOptimizer.syncFromVariables();
    this.fast.refresh();
  }
  dispose(): void {
    for (const network of [this.actor, this.q1, this.q2, this.q1Target, this.q2Target]) network.dispose();
    this.logAlpha.dispose();
  }
}

/** tfjs variable names are global: each SAC's temperature gets its own. */
let nextAlphaId = 0;
