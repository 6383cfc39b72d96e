import * as tf from '@tensorflow/tfjs';
import { batchActionIndex, batchObservations, batchTensors, FastNetwork, type ModelConfigInput, Network, type NamedArray, type ObservationLike, PackedAdam, packTensors, weightedSum } from '@scale/model';
import { momentsOf, type SrrConfig, type SrrGradient, srrGradient } from '@scale/srr';
import { Rng, type RngState, parseConfig } from '@scale/workload';
import { z } from 'zod';
import { BaseAgent, type CommonAgentOptions, rngFrom } from './base-agent.js';
import type { Callback } from './callbacks.js';
import { type Demonstration, DemonstrationBuffer } from './demonstration-buffer.js';
import { NonFiniteLossError } from './errors.js';
import { imitationLossGradient } from './imitation-loss.js';
import { copyObservation } from './internal/observations.js';
import { type Method, methodModelLayout } from './method.js';
import { NetworkPolicy } from './policy.js';
import type { ExpertLike, VecEnvLike } from './types.js';

/** DAgger's hyperparameters (ours; Ross, Gordon and Bagnell 2011 for the algorithm). */
export const DaggerConfigSchema = z
  .object({
    /** Steps per env per epoch, each labelled by the expert: an epoch = numEnvs x stepsPerEnv labels (16: the expert's labels cost ~10 ms each at N = 16). */
    stepsPerEnv: z.number().int().min(1).max(1_000_000).default(16),
    /** Labelled states kept (100k: a full 1,000-epoch run's 64k all stay); beyond it the oldest go first. */
    bufferSize: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Minibatch size (256, as PPO's). */
    batchSize: z.number().int().min(1).max(1_000_000).default(256),
    /** Gradient steps per epoch, each on a minibatch drawn uniformly from every state kept (4: each state is seen ~16 times over a run). */
    gradientSteps: z.number().int().min(1).max(10_000).default(4),
    /** Adam step size, constant (1e-3). */
    learningRate: z.number().positive().max(1).default(1e-3),
    /** Global gradient-norm clip (1). */
    maxGradNorm: z.number().positive().default(1),
    /**
     * The expert acts with probability beta, which falls linearly from 1 at epoch 1 to 0 after this
     * fraction of the run; then the learner acts alone and the expert only labels (Ross et al.'s
     * beta_1 = 1, then 0, spread over a few epochs). 0.05: the first 50 of 1,000 epochs.
     */
    expertFraction: z.number().min(0).max(1).default(0.05),
    /**
     * The heuristics the expert finishes its tries with (`@scale/env`'s `RolloutExpert`): sjf, eft and
     * mct, the best heuristics at N = 16 on the paper's workload and on the real workflows (the same
     * bases as `beyond`'s clairvoyant column). Read by whoever builds the expert.
     */
    bases: z.array(z.string()).min(1).max(16).default(['sjf', 'eft', 'mct']),
  })
  .strict();
export type DaggerConfig = z.output<typeof DaggerConfigSchema>;
export type DaggerConfigInput = z.input<typeof DaggerConfigSchema>;

export interface DaggerOptions extends CommonAgentOptions {
  readonly config?: DaggerConfigInput;
  /** Network overrides, as PPO's (`PpoOptions.model`). */
  readonly model?: Omit<ModelConfigInput, 'encoder' | 'outputs' | 'seed'>;
  /** Labels every env's pending decision (`@scale/env`'s `RolloutExpert` behind the vector env, in training). */
  readonly expert: ExpertLike;
}

/** One epoch's diagnostics (the loss terms are means over its gradient steps). */
export interface DaggerDiagnostics extends Record<string, number> {
  /** The chance the expert acted this epoch (falls to 0 over `expertFraction` of the run). */
  beta: number;
  /** States labelled this epoch. */
  labels: number;
  /** Share of them where the learner's greedy action was one the expert calls optimal (on the states its behaviour reached). */
  expertAgreement: number;
  /** Set cross-entropy (nats) of the minibatches, before each step. */
  loss: number;
  /** Share of minibatch rows whose most probable action is optimal. */
  accuracy: number;
  entropy: number;
  gradNorm: number;
  learningRate: number;
  srrWeight: number;
  srrDecorrelation: number;
  srrKl: number;
  bufferSize: number;
  /** Labels per second of the expert's own time (its rollouts dominate an epoch). */
  labelsPerSec: number;
}

/**
 * DAgger (Ross, Gordon and Bagnell 2011): imitation of an expert that can label any state. Each epoch
 * the behaviour policy (the expert with probability beta, else the learner's greedy action) steps the
 * envs, the expert labels every state reached, the labelled states join one aggregated data set, and
 * the learner takes gradient steps on the set cross-entropy (`imitation-loss.ts`) of minibatches
 * drawn from all of it. Training on the states its own policy reaches is what separates DAgger from
 * behaviour cloning, whose learner drifts to states the expert never showed it.
 *
 * With SRR in the method, its regulariser is added on the scored tasks' attention features, as in
 * PPO's update. The env's reward is not used. The expert here is a clairvoyant rollout (it sees the
 * episode's future); the learner sees only the observation, so whatever it learns can run online.
 */
export class DAgger extends BaseAgent {
  readonly kind = 'dagger' as const;
  readonly config: DaggerConfig;
  readonly network: Network;
  private readonly fast: FastNetwork;
  private readonly greedy: NetworkPolicy;
  /** `act(..., { deterministic: false })`: samples from the learner's policy. */
  private readonly sampler: NetworkPolicy;
  private readonly optimizer: PackedAdam;
  private readonly expert: ExpertLike;
  private readonly buffer: DemonstrationBuffer;
  private readonly srr: SrrConfig | null;
  /** Draws who acts (expert or learner) at each step. */
  private behaviourRng: Rng;
  /** Draws the minibatches. */
  private minibatchRng: Rng;

  constructor(env: VecEnvLike, method: Method, options: DaggerOptions) {
    super(env, method, options);
    if (method.agent !== 'dagger') throw new Error(`DAgger cannot train a ${method.agent} method`);
    this.config = parseConfig(DaggerConfigSchema, options.config ?? {}, 'dagger');
    this.srr = method.srr;
    this.expert = options.expert;
    this.network = new Network({ ...methodModelLayout(method), ...options.model, encoder: method.encoder, outputs: { policy: true, value: false, q: false }, seed: options.seed });
    this.fast = new FastNetwork(this.network);
    this.optimizer = new PackedAdam(this.network.trainableVariables(), { maxGradNorm: this.config.maxGradNorm });
    const root = new Rng(options.seed);
    this.greedy = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'greedy' });
    this.sampler = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'sample', rng: root.child('dagger:actions') });
    this.behaviourRng = root.child('dagger:behaviour');
    this.minibatchRng = root.child('dagger:minibatches');
    this.buffer = new DemonstrationBuffer(this.config.bufferSize);
  }

  act(observations: readonly ObservationLike[], options: { deterministic?: boolean } = {}): Int32Array {
    const policy = options.deterministic === false ? this.sampler : this.greedy;
    return Int32Array.from(observations, policy.act);
  }

  /** beta at `epoch` of `total`: 1 at epoch 1, falling linearly to 0 after `expertFraction` of the run. */
  betaAt(epoch: number, total: number): number {
    const span = this.config.expertFraction * total;
    return span <= 0 ? 0 : Math.max(0, 1 - (epoch - 1) / span);
  }

  protected trainEpoch(epoch: number, totalEpochs: number, callbacks: readonly Callback[]): DaggerDiagnostics {
    const k = this.env.numEnvs;
    const beta = this.betaAt(epoch, totalEpochs);
    const actions = new Int32Array(k);
    let labels = 0;
    let agreed = 0;
    let expertSeconds = 0;

    // 1. Collect: the expert labels every state the behaviour policy reaches; the expert acts with probability beta.
    for (let t = 0; t < this.config.stepsPerEnv && !this.shouldStop; t++) {
      for (let i = 0; i < k; i++) {
        if (this.resetting[i]) continue; // an autoreset step: the action is ignored
        const obs = this.observation(i);
        const learner = this.greedy.act(obs);
        const started = performance.now();
        const label = this.expert.label(i, obs);
        expertSeconds += (performance.now() - started) / 1000;
        const expertActs = this.behaviourRng.next() < beta;
        if (label.action < 0) {
          actions[i] = learner; // nothing valid to label
          continue;
        }
        this.buffer.add({ obs: copyObservation(obs), optimal: label.optimal.slice() });
        labels += 1;
        if (label.optimal[learner] === 1) agreed += 1;
        actions[i] = expertActs ? label.action : learner;
      }
      this.stepEnvs(actions, callbacks);
    }

    // 2. Learn: gradient steps on minibatches drawn from every state labelled so far.
    const sums = { loss: 0, accuracy: 0, entropy: 0, gradNorm: 0, srrDecorrelation: 0, srrKl: 0 };
    let srrWeight = 0;
    let updates = 0;
    if (this.buffer.size > 0) {
      for (let g = 0; g < this.config.gradientSteps; g++) {
        const step = this.update(this.buffer.sample(this.config.batchSize, this.minibatchRng), epoch);
        for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += step[key];
        srrWeight = step.srrWeight;
        updates += 1;
      }
    }
    this.fast.refresh();

    // 3. Diagnostics.
    const mean = (x: number) => (updates > 0 ? x / updates : Number.NaN);
    return {
      beta,
      labels,
      expertAgreement: labels > 0 ? agreed / labels : Number.NaN,
      loss: mean(sums.loss),
      accuracy: mean(sums.accuracy),
      entropy: mean(sums.entropy),
      gradNorm: mean(sums.gradNorm),
      learningRate: this.config.learningRate,
      srrWeight,
      srrDecorrelation: this.srr === null ? Number.NaN : mean(sums.srrDecorrelation),
      srrKl: this.srr === null ? Number.NaN : mean(sums.srrKl),
      bufferSize: this.buffer.size,
      labelsPerSec: expertSeconds > 0 ? labels / expertSeconds : Number.NaN,
    };
  }

  /**
   * One gradient step on a minibatch: the set cross-entropy's gradient with respect to the logits
   * (`imitationLossGradient`), SRR's with respect to the scored tasks' features when on, then one
   * backward pass of `sum(outputs * their gradients)` (the parameters' gradient by the chain rule, as
   * in `ppoShardGradients`), clipped and applied by Adam.
   */
  private update(batch: readonly Demonstration[], epoch: number): { loss: number; accuracy: number; entropy: number; gradNorm: number; srrWeight: number; srrDecorrelation: number; srrKl: number } {
    const widths = this.network.config;
    const observations = batchObservations(
      batch.map((d) => d.obs),
      widths.taskFeatures,
      widths.serverFeatures,
    );
    const columns = observations.actions ?? observations.n;
    const optimal = new Uint8Array(batch.length * columns);
    batch.forEach((d, row) => {
      for (let a = 0; a < d.optimal.length; a++) if (d.optimal[a] === 1) optimal[row * columns + batchActionIndex(observations, row, a)] = 1;
    });
    const variables = this.network.trainableVariables();
    let terms = { loss: 0, accuracy: 0, entropy: 0 };
    let srr: SrrGradient | null = null;
    let gradients: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      const input = batchTensors(observations, widths.taskFeatures, widths.serverFeatures);
      const { grads } = tf.variableGrads(() => {
        const out = this.network.apply(input);
        const logits = out.logits as tf.Tensor2D;
        const imitation = imitationLossGradient({ logits: logits.dataSync(), n: columns, actionMask: this.common.mask ? observations.mask : null, optimal, rowWeight: 1 / batch.length });
        terms = imitation.values;
        let surrogate = weightedSum(logits, imitation.logitGradient);
        if (this.srr !== null) {
          const scored = out.candidateFeatures;
          const features = scored.dataSync() as Float32Array;
          const [rows, size] = scored.shape;
          const regulariser = srrGradient(features, rows, momentsOf(features, rows, size), epoch, this.srr);
          srr = regulariser;
          surrogate = tf.add(surrogate, weightedSum(scored, regulariser.gradient)) as tf.Scalar;
        }
        return surrogate;
      }, variables);
      gradients = packTensors(variables.map((v) => grads[v.name] as tf.Tensor));
    });
    // A NaN or infinite loss stops training before the optimizer step: the last checkpoint stays good.
    const regulariser = srr as SrrGradient | null;
    const total = terms.loss + (regulariser?.total ?? 0);
    if (!Number.isFinite(total)) throw new NonFiniteLossError(epoch, 'loss', total);
    const { gradNorm } = this.optimizer.applyFlat(gradients, this.config.learningRate);
    return { ...terms, gradNorm, srrWeight: regulariser?.weight ?? 0, srrDecorrelation: regulariser?.decorrelation ?? Number.NaN, srrKl: regulariser?.kl ?? Number.NaN };
  }

  protected checkpointNetworks(): Record<string, Network> {
    return { policy: this.network };
  }
  protected checkpointOptimizers(): Record<string, PackedAdam> {
    return { policy: this.optimizer };
  }
  protected rngStreams(): Record<string, Rng> {
    return { behaviour: this.behaviourRng, minibatches: this.minibatchRng, actions: this.sampler.rng };
  }
  protected restoreRngs(states: Record<string, RngState>): void {
    this.behaviourRng = rngFrom(states, 'behaviour');
    this.minibatchRng = rngFrom(states, 'minibatches');
    this.sampler.rng = rngFrom(states, 'actions');
  }
  protected override extraArrays(): Map<string, NamedArray> {
    return this.buffer.toArrays();
  }
  protected override restoreExtra(arrays: ReadonlyMap<string, NamedArray>): void {
    this.buffer.loadArrays(arrays);
  }
  protected afterLoad(): void {
    this.optimizer.syncFromVariables();
    this.fast.refresh();
  }
  dispose(): void {
    this.network.dispose();
  }
}
