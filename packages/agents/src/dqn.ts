import * as tf from '@tensorflow/tfjs';
import { FastNetwork, Network, type ObservationLike, PackedAdam, batchTensors, maskLogits, type ModelConfigInput } from '@scale/model';
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

/** DQN's hyperparameters (Stable-Baselines3's names and defaults unless noted). */
export const DqnConfigSchema = OffPolicyScheduleSchema.extend({
  /** Adam step size (SB3: 1e-4). */
  learningRate: z.number().positive().max(1).default(1e-4),
  /** Copy the online network into the target every this many env steps (ours: 1,000). */
  targetUpdateInterval: z.number().int().min(1).default(1000),
  /** Polyak coefficient of that copy (1: hard copy, SB3's default). */
  tau: z.number().positive().max(1).default(1),
  /** n-step returns (1: the textbook one-step target). */
  nStep: z.number().int().min(1).max(100).default(1),
  /** Double DQN: the online network picks the next action, the target network values it (van Hasselt 2016). */
  doubleQ: z.boolean().default(true),
  /** Epsilon decays linearly from `explorationInitial` to `explorationFinal` over this fraction of training. */
  explorationFraction: z.number().min(0).max(1).default(0.1),
  /** Epsilon at the first step (SB3: 1.0). */
  explorationInitial: z.number().min(0).max(1).default(1),
  /** Epsilon after the decay, and for `act(..., { deterministic: false })` (SB3: 0.05). */
  explorationFinal: z.number().min(0).max(1).default(0.05),
  /** Global gradient-norm clip (SB3: 10). */
  maxGradNorm: z.number().positive().default(10),
  /** Huber loss threshold (1: SB3's smooth L1). */
  huberDelta: z.number().positive().default(1),
}).strict();
export type DqnConfig = z.output<typeof DqnConfigSchema>;
export type DqnConfigInput = z.input<typeof DqnConfigSchema>;

export interface DqnOptions extends CommonAgentOptions {
  readonly config?: DqnConfigInput;
  readonly model?: Omit<ModelConfigInput, 'encoder' | 'outputs' | 'seed'>;
}

/**
 * Deep Q-learning (Mnih et al. 2015) with a dueling head (Wang et al. 2016) on the MLP encoder, or
 * pointer Q-values on the cross-attention encoder (any N); double-DQN targets, a target network,
 * uniform replay, epsilon-greedy exploration, Huber loss and optional n-step returns.
 */
export class DQN extends OffPolicyAgent {
  readonly kind = 'dqn' as const;
  readonly config: DqnConfig;
  readonly network: Network;
  readonly target: Network;
  protected readonly schedule: OffPolicySchedule;
  protected replay: ReplayBuffer;
  protected sampleRng: Rng;
  private readonly fast: FastNetwork;
  private readonly optimizer: PackedAdam;
  /** The argmax of the (masked) Q-values. */
  private readonly greedy: NetworkPolicy;
  private stepsSinceTargetUpdate = 0;

  constructor(env: VecEnvLike, method: Method, options: DqnOptions) {
    super(env, method, options);
    if (method.agent !== 'dqn') throw new Error(`DQN cannot train a ${method.agent} method`);
    if (method.srr !== null) throw new Error('DQN: SRR is defined for PPO minibatches only (method.srr must be null)');
    this.config = parseConfig(DqnConfigSchema, options.config ?? {}, 'dqn');
    this.schedule = this.config;
    const modelConfig = { ...methodModelLayout(method), ...options.model, encoder: method.encoder, outputs: { policy: false, value: false, q: true }, seed: options.seed };
    this.network = new Network(modelConfig);
    this.target = new Network(modelConfig);
    this.target.params.copyFrom(this.network.params);
    this.fast = new FastNetwork(this.network);
    this.greedy = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'greedy' });
    this.optimizer = new PackedAdam(this.network.trainableVariables(), { maxGradNorm: this.config.maxGradNorm });
    this.replay = new ReplayBuffer(this.config.bufferSize);
    this.sampleRng = new Rng(options.seed).child('dqn:replay-and-exploration');
  }

  act(observations: readonly ObservationLike[], options: { deterministic?: boolean } = {}): Int32Array {
    // Acting outside training is greedy; `deterministic: false` keeps the final epsilon.
    return Int32Array.from(observations, (obs) =>
      options.deterministic === false && this.sampleRng.next() < this.config.explorationFinal ? randomAction(obs.mask, this.common.mask, this.sampleRng) : this.greedy.act(obs),
    );
  }

  /** Epsilon at the current step of a `totalEpochs` run: linear decay over `explorationFraction` of its steps. */
  epsilon(totalEpochs: number): number {
    const { explorationInitial, explorationFinal, explorationFraction } = this.config;
    const totalSteps = totalEpochs * this.config.stepsPerEnv * this.env.numEnvs;
    const progress = explorationFraction === 0 ? 1 : Math.min(1, this.globalStep / (explorationFraction * totalSteps));
    return explorationInitial + progress * (explorationFinal - explorationInitial);
  }

  protected behaviour(obs: ObservationLike, _epoch: number, totalEpochs: number): number {
    const explore = this.globalStep < this.config.learningStarts || this.sampleRng.next() < this.epsilon(totalEpochs);
    return explore ? randomAction(obs.mask, this.common.mask, this.sampleRng) : this.greedy.act(obs);
  }

  protected update(batch: Transition[], epoch: number, totalEpochs: number): Record<string, number> {

    const { obs, next, actions } = batchTransitions(batch, this.network.config);
    const rewards = Float32Array.from(batch, (t) => t.reward);
    const bootstrap = Float32Array.from(batch, (t) => (t.terminated ? 0 : t.discount));
    const variables = this.network.trainableVariables();
    let lossValue = 0;
    let meanQ = 0;
    let gradNorm = 0;
    tf.tidy(() => {
      const nextInput = batchTensors(next);
      // Target: r + gamma^n * Q_target(s', argmax_a' Q(s', a')) (double DQN), masked to valid a' in mask mode.
      const maskNext = (q: tf.Tensor2D) => (this.common.mask ? maskLogits(q, nextInput.mask) : q);
      const nextTargetQ = this.target.apply(nextInput).q as tf.Tensor2D;
      const chooser = this.config.doubleQ ? (this.network.apply(nextInput).q as tf.Tensor2D) : nextTargetQ;
      const nextAction = tf.argMax(maskNext(chooser), 1);
      const nextValue = tf.sum(tf.mul(nextTargetQ, tf.oneHot(nextAction, next.actions ?? next.n)), 1);
      const target = tf.add(tf.tensor1d(rewards), tf.mul(tf.tensor1d(bootstrap), nextValue));
      const input = batchTensors(obs);
      const actionOneHot = tf.oneHot(tf.tensor1d(actions, 'int32'), obs.actions ?? obs.n);
      let stats: tf.Tensor1D | null = null;
      const { grads } = tf.variableGrads(() => {
        const q = this.network.apply(input).q as tf.Tensor2D;
        const taken = tf.sum(tf.mul(q, actionOneHot), 1);
        const loss = huber(tf.sub(taken, target), this.config.huberDelta);
        stats = tf.keep(tf.stack([loss, tf.mean(taken)]) as tf.Tensor1D);
        return loss;
      }, variables);
      const kept = stats as unknown as tf.Tensor1D;
      const values = kept.dataSync();
      kept.dispose();
      lossValue = values[0] as number;
      meanQ = values[1] as number;
      if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(epoch, 'qLoss', lossValue);
      gradNorm = this.optimizer.apply(
        variables.map((v) => grads[v.name] as tf.Tensor),
        this.config.learningRate,
      ).gradNorm;
    });
    this.fast.refresh();
    return { qLoss: lossValue, meanQ, gradNorm, epsilon: this.epsilon(totalEpochs), learningRate: this.config.learningRate };
  }

  protected afterStep(): void {
    this.stepsSinceTargetUpdate += this.env.numEnvs;
    if (this.stepsSinceTargetUpdate >= this.config.targetUpdateInterval) {
      this.target.params.copyFrom(this.network.params, this.config.tau);
      this.stepsSinceTargetUpdate = 0;
    }
  }

  protected checkpointNetworks(): Record<string, Network> {
    return { q: this.network, target: this.target };
  }
  protected checkpointOptimizers(): Record<string, PackedAdam> {
    return { q: this.optimizer };
  }
  protected rngStreams(): Record<string, Rng> {
    return { sample: this.sampleRng };
  }
  protected restoreRngs(states: Record<string, RngState>): void {
    this.sampleRng = rngFrom(states, 'sample');
  }
  protected override extraState(): Record<string, unknown> {
    return { ...super.extraState(), stepsSinceTargetUpdate: this.stepsSinceTargetUpdate };
  }
  protected override restoreExtra(arrays: Parameters<OffPolicyAgent['restoreExtra']>[0], state: Record<string, unknown>): void {
    super.restoreExtra(arrays, state);
    this.stepsSinceTargetUpdate = state.stepsSinceTargetUpdate as number;
  }
  protected afterLoad(): void {
    this.optimizer.syncFromVariables();
    this.fast.refresh();
  }
  dispose(): void {
    this.network.dispose();
    this.target.dispose();
  }
}

/** Mean Huber loss: 0.5 e^2 for |e| <= delta, delta (|e| - 0.5 delta) beyond. */
export function huber(error: tf.Tensor1D, delta: number): tf.Scalar {
  const abs = tf.abs(error);
  const quadratic = tf.minimum(abs, delta);
  const linear = tf.sub(abs, quadratic);
  return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear))) as tf.Scalar;
}
