import { FastNetwork, type ModelConfigInput, Network, type ObservationLike, PackedAdam, batchActions, batchObservations } from '@scale/model';
import type { SrrConfig } from '@scale/srr';
import { ConfigError, Rng, type RngState, parseConfig } from '@scale/workload';
import { z } from 'zod';
import { BaseAgent, type CommonAgentOptions, rngFrom } from './base-agent.js';
import type { Callback } from './callbacks.js';
import { NonFiniteLossError } from './errors.js';
import { computeGae } from './gae.js';
import { GradientThreads } from './gradient-threads.js';
import { groupByCandidates } from './internal/candidate-groups.js';
import { copyObservation } from './internal/observations.js';
import { inputDrivenBaseline } from './input-driven-baseline.js';
import { type Baseline, BaselineSchema, type Discount, DiscountSchema, type Method, methodModelLayout } from './method.js';
import { type PpoDiagnostics, explainedVariance } from './ppo-diagnostics.js';
import { type GradientComputer, type MinibatchDiagnostics, type PpoShardSettings, type ShardArrays, SingleThreadGradients } from './ppo-gradient.js';
import { NetworkPolicy } from './policy.js';
import { ReturnNormalizer } from './return-normalizer.js';
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
    /** Discount (stated: 0.99), per decision, or per second of simulated time with `discount: 'per-second'`. */
    gamma: z.number().min(0).max(1).default(0.99),
    /** GAE lambda (stated: 0.95), per decision or per second as `gamma`. */
    gaeLambda: z.number().min(0).max(1).default(0.95),
    /**
     * `per-step` (the paper's): gamma and lambda per decision. `per-second`: per second of simulated
     * time (`gamma ** dt` in GAE, from the env's `info.elapsed`), so the horizon does not shrink as
     * decisions per second grow with N. Absent: the method's `discount`, else `per-step`. Optional,
     * not defaulted, so a paper run's stored config has no new key.
     */
    discount: DiscountSchema.optional(),
    /**
     * Divide rewards by the running std of the discounted return before GAE (`return-normalizer.ts`;
     * SB3's `VecNormalize(norm_reward=True)`), so the critic's targets stay near unit scale. Absent:
     * the method's `normalizeReturns`, else off (the paper's runs). Optional, not defaulted, so a paper
     * run's stored config has no new key.
     */
    normalizeReturns: z.boolean().optional(),
    /**
     * What a step's advantage subtracts from its return. `critic` (the paper's): GAE(lambda) over the
     * learned V, on `numEnvs x stepsPerEnv` steps. `input-driven` (Decima's): each epoch resets every
     * env with one episode seed (from a checkpointed stream), runs each env to its episode's end (an
     * env that ended waits for the others), and subtracts from a decision's return the mean of the
     * envs' returns-to-go from its simulated time (`input-driven-baseline.ts`): the arrivals, the
     * same in every env, cancel. The critic still trains on the returns; `gaeLambda` and
     * `stepsPerEnv` are unused (see `episodeStepCap`). Needs an env with `resetSameSeed` and
     * `stepActive` (`@scale/env`'s VectorEnv). Absent: the method's `baseline`, else `critic`.
     * Optional, not defaulted, so a paper run's stored config has no new key.
     */
    baseline: BaselineSchema.optional(),
    /**
     * Input-driven baseline only: the most steps one env takes in an epoch, so a policy that never
     * ends its episode (a defer loop) cannot stall training. An env stopped there is treated as
     * truncated: its return bootstraps from V(the observation it stopped at), and the epoch's
     * `cutEpisodes` counts it. Absent: 16 x `stepsPerEnv` (4,096 at the default).
     */
    episodeStepCap: z.number().int().min(1).max(1_000_000).optional(),
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
  /**
   * Network overrides (widths, issue 14's layout); `servers` is required for the MLP encoder. The
   * method's `env` supplies `actions`, `defer` and `candidates` (`methodModelLayout`) unless given
   * here; the feature widths must match the env's observations.
   */
  readonly model?: Omit<ModelConfigInput, 'encoder' | 'outputs' | 'seed'>;
  /**
   * Threads that compute each minibatch's gradient (data parallel; default 1). With k > 1 this
   * thread and k - 1 worker threads each take 1/k of the minibatch, exchange their feature moments
   * mid-forward so SRR still sees the whole minibatch, and their gradients are summed: the same
   * update up to float summation order. An execution setting like a device, not a hyperparameter.
   */
  readonly updateThreads?: number;
}

/** One epoch's rollout, time-major (row t * numEnvs + i is env i's step t). */
interface Rollout {
  readonly observations: readonly ObservationLike[];
  /** Each observation's own action index (`c N + j`, or defer `k N`; the server index in the paper's layout). */
  readonly actions: Int32Array;
  /** Behaviour log-probabilities and values, from the fast path while collecting. */
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

/** A rollout with its advantages, the steps to learn from, and what the collection reports. */
interface CollectedRollout {
  readonly rollout: Rollout;
  /** Rows of the valid steps (an autoreset or a held env's row is not learned from). */
  readonly indices: number[];
  /** The return normalizer's divisor this epoch (undefined when off). */
  readonly returnScale: number | undefined;
  /** Input-driven baseline only: envs stopped at `episodeStepCap` (or by a callback) before their episode ended. */
  readonly cutEpisodes?: number;
}

/** PPO's epoch diagnostics; `cutEpisodes` only with the input-driven baseline. */
type PpoEpochDiagnostics = PpoDiagnostics & { cutEpisodes?: number };

/** A gradient step's diagnostics with the optimizer's gradient norm. */
type UpdateDiagnostics = MinibatchDiagnostics & { readonly gradNorm: number };

/**
 * Proximal Policy Optimization (Schulman et al. 2017) as in CleanRL's ppo.py, on the shared-encoder
 * actor-critic: pointer policy and critic on the attention feature (or the MLP baseline). With
 * `method.srr` set, SRR's warmed-up decorrelation and KL terms on the encoder feature join the loss.
 *
 * Per epoch (`trainEpoch`, read top to bottom): collect `numEnvs x stepsPerEnv` steps with the fast
 * path and compute GAE (`collectSteps`), or, with the input-driven baseline, one episode per env on
 * one arrival sequence and that baseline (`collectEpisodes`); then `updateEpochs` passes of shuffled
 * minibatches of the clipped-surrogate loss (`updateMinibatch`; the loss itself is in `ppo-loss.ts`,
 * its gradient in `ppo-gradient.ts`).
 */
export class PPO extends BaseAgent {
  readonly kind = 'ppo' as const;
  readonly config: PpoConfig;
  readonly network: Network;
  private readonly fast: FastNetwork;
  /** Samples the rollout's actions (and `act` when not deterministic); its stream is checkpointed. */
  private readonly behaviour: NetworkPolicy;
  /** `act(..., { deterministic: true })`. */
  private readonly greedy: NetworkPolicy;
  private readonly optimizer: PackedAdam;
  /** Shuffles minibatches. */
  private shuffleRng: Rng;
  private readonly srr: SrrConfig | null;
  /** Threads per minibatch gradient (`PpoOptions.updateThreads`). */
  readonly updateThreads: number;
  /** `config.discount`, else the method's, else `per-step`. */
  readonly discount: Discount;
  /** This thread alone, or it and `updateThreads - 1` workers (started at the first update). */
  private readonly gradients: GradientComputer;
  /** Scales rewards by the discounted return's running std (`config.normalizeReturns`, else the method's); null when off. */
  private readonly returnNormalizer: ReturnNormalizer | null;
  /** `config.baseline`, else the method's, else `critic`. */
  readonly baseline: Baseline;
  /** Draws each epoch's shared episode seed (input-driven baseline; null with the critic's, so its checkpoints keep their streams). */
  private episodeRng: Rng | null;

  constructor(env: VecEnvLike, method: Method, options: PpoOptions) {
    super(env, method, options);
    if (method.agent !== 'ppo') throw new Error(`PPO cannot train a ${method.agent} method`);
    this.config = parseConfig(PpoConfigSchema, options.config ?? {}, 'ppo');
    this.discount = this.config.discount ?? method.discount ?? 'per-step';
    this.srr = method.srr;
    this.returnNormalizer = (this.config.normalizeReturns ?? method.normalizeReturns ?? false) ? new ReturnNormalizer(env.numEnvs) : null;
    this.baseline = this.config.baseline ?? method.baseline ?? 'critic';
    if (this.baseline === 'input-driven' && (env.resetSameSeed === undefined || env.stepActive === undefined)) {
      throw new ConfigError('ppo.baseline', "'critic' with this env (the input-driven baseline needs an env with resetSameSeed and stepActive, as @scale/env's VectorEnv)", 'input-driven');
    }
    if (this.baseline !== 'input-driven' && this.config.episodeStepCap !== undefined) {
      throw new ConfigError('ppo.episodeStepCap', "no value with baseline 'critic' (it caps the input-driven baseline's episodes)", this.config.episodeStepCap);
    }
    this.network = new Network({ ...methodModelLayout(method), ...options.model, encoder: method.encoder, outputs: { policy: true, value: true, q: false }, seed: options.seed });
    this.fast = new FastNetwork(this.network);
    this.optimizer = new PackedAdam(this.network.trainableVariables(), { epsilon: this.config.adamEpsilon, maxGradNorm: this.config.maxGradNorm });
    const root = new Rng(options.seed);
    this.behaviour = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'sample', rng: root.child('ppo:actions') });
    this.greedy = new NetworkPolicy(this.fast, { mask: this.common.mask, mode: 'greedy' });
    this.shuffleRng = root.child('ppo:minibatches');
    this.episodeRng = this.baseline === 'input-driven' ? root.child('ppo:episodes') : null;
    const threads = options.updateThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new RangeError(`updateThreads: expected an integer in [1, 64], received ${threads}`);
    this.updateThreads = threads;
    const lossSettings: Omit<PpoShardSettings, 'epoch'> = { clipCoef: this.config.clipCoef, entCoef: this.config.entCoef, vfCoef: this.config.vfCoef, mask: this.common.mask, srr: this.srr };
    this.gradients = threads === 1 ? new SingleThreadGradients(this.network, lossSettings) : new GradientThreads(this.network, threads, lossSettings);
  }

  act(observations: readonly ObservationLike[], options: { deterministic?: boolean } = {}): Int32Array {
    const policy = options.deterministic === true ? this.greedy : this.behaviour;
    return Int32Array.from(observations, policy.act);
  }

  /** The learning rate at `epoch` of `total` (cosine decay to 0, or constant). */
  learningRateAt(epoch: number, total: number): number {
    if (this.config.lrSchedule === 'constant') return this.config.learningRate;
    return this.config.learningRate * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / total));
  }

  protected trainEpoch(epoch: number, totalEpochs: number, callbacks: readonly Callback[]): PpoEpochDiagnostics {
    // 1-2. Collect with the current policy; advantages, and returns as the critic's targets: GAE over
    //      V on `numEnvs x stepsPerEnv` steps, or the input-driven baseline on one episode per env.
    const { rollout, indices, returnScale, cutEpisodes } = this.baseline === 'input-driven' ? this.collectEpisodes(callbacks) : this.collectSteps(callbacks);
    const { values, returns } = rollout;

    // 3. Optimize the clipped surrogate over shuffled minibatches of the valid steps.
    const learningRate = this.learningRateAt(epoch, totalEpochs);
    const sums = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, srrDecorrelation: 0, srrKl: 0, gradNorm: 0 };
    let updates = 0;
    let srrWeight = 0;
    let stoppedOnKl = 0;
    for (let pass = 0; pass < this.config.updateEpochs && stoppedOnKl === 0; pass++) {
      this.shuffleRng.shuffle(indices);
      for (let start = 0; start < indices.length; start += this.config.minibatchSize) {
        const batchIndices = indices.slice(start, start + this.config.minibatchSize);
        if (batchIndices.length < 2) continue; // a 1-sample minibatch has no advantage spread or covariance
        const step = this.updateMinibatch(batchIndices, rollout, epoch, learningRate);
        for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += step[key];
        srrWeight = step.srrWeight;
        updates += 1;
        if (this.config.targetKl !== null && step.approxKl > this.config.targetKl) {
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
      explainedVariance: explainedVariance(
        indices.map((i) => values[i] as number),
        indices.map((i) => returns[i] as number),
      ),
      gradNorm: mean(sums.gradNorm),
      srrWeight,
      srrDecorrelation: this.srr === null ? Number.NaN : mean(sums.srrDecorrelation),
      srrKl: this.srr === null ? Number.NaN : mean(sums.srrKl),
      updates,
      stoppedOnKl,
      // Only with return normalization, so a paper run's metrics rows keep their keys.
      ...(returnScale === undefined ? {} : { returnScale }),
      ...(cutEpisodes === undefined ? {} : { cutEpisodes }),
    };
  }

  /**
   * The critic's rollout: T = `stepsPerEnv` steps from each env with the current policy (time-major
   * storage, episodes continuing across epochs), and advantages by GAE(lambda).
   */
  private collectSteps(callbacks: readonly Callback[]): CollectedRollout {
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
    const elapsed = new Float64Array(size);
    const stepActions = new Int32Array(k);
    let steps = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < k; i++) {
        const obs = this.observation(i);
        const { action, logProb, value } = this.behaviour.decide(obs);
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
      elapsed.set(result.elapsed, t * k);
      steps = t + 1;
      if (this.shouldStop) break;
    }
    const used = steps * k;
    const nextValues = new Float32Array(k);
    for (let i = 0; i < k; i++) nextValues[i] = this.fast.forward(this.observation(i)).value;

    // 2. Advantages by GAE(lambda); returns = advantages + values are the critic's targets. A
    //    truncated episode bootstraps from V(final observation) (see computeGae). With return
    //    normalization the rewards are first divided by the discounted return's running std.
    const returnScale = this.scaleRewards({ rewards, terminated, truncated, valid, elapsed, used });
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
      elapsed: this.discount === 'per-second' ? elapsed.subarray(0, used) : undefined,
    });
    const rollout: Rollout = { observations, actions, logProbs, values, advantages, returns };
    const indices: number[] = [];
    for (let idx = 0; idx < used; idx++) if (valid[idx] === 1) indices.push(idx);
    return { rollout, indices, returnScale };
  }

  /**
   * The input-driven baseline's rollout (Decima): every env reset with one episode seed, each stepped
   * with the current policy until its episode ends (an env that ended is held while the others
   * finish) or `episodeStepCap` (treated as truncated), then returns and advantages by
   * `inputDrivenBaseline`. Time-major storage as `collectSteps`; a held env's rows are invalid.
   */
  private collectEpisodes(callbacks: readonly Callback[]): CollectedRollout {
    const k = this.env.numEnvs;
    const cap = this.config.episodeStepCap ?? 16 * this.config.stepsPerEnv;
    const size = cap * k;
    const observations: ObservationLike[] = new Array(size);
    const actions = new Int32Array(size);
    const logProbs = new Float32Array(size);
    const values = new Float32Array(size);
    const rewards = new Float32Array(size);
    const terminated = new Uint8Array(size);
    const truncated = new Uint8Array(size);
    const valid = new Uint8Array(size);
    const elapsed = new Float64Array(size);
    /** Each decision's simulated time. */
    const times = new Float64Array(size);
    const stepActions = new Int32Array(k);

    // 1. All envs on one arrival sequence; an env whose episode is over at reset takes no step.
    const infos = this.resetSameSeed((this.episodeRng as Rng).int(0, 0x7fffffff));
    const active = Uint8Array.from(infos, (info) => (info.episode === undefined ? 1 : 0));
    /** Each env's current simulated time (written by `stepEnvs`). */
    const now = Float64Array.from(infos, (info) => info.time ?? Number.NaN);
    const lengths = new Int32Array(k);
    let steps = 0;
    while (steps < cap && active.includes(1)) {
      const t = steps;
      for (let i = 0; i < k; i++) {
        stepActions[i] = 0; // a held env's action is ignored
        if (active[i] !== 1) continue;
        const obs = this.observation(i);
        const { action, logProb, value } = this.behaviour.decide(obs);
        const idx = t * k + i;
        observations[idx] = copyObservation(obs);
        actions[idx] = action;
        logProbs[idx] = logProb;
        values[idx] = value;
        times[idx] = now[i] as number;
        stepActions[i] = action;
      }
      const result = this.stepEnvs(stepActions, callbacks, { active, times: now });
      rewards.set(result.rewards, t * k);
      terminated.set(result.terminated, t * k);
      truncated.set(result.truncated, t * k);
      valid.set(result.valid, t * k);
      elapsed.set(result.elapsed, t * k);
      for (let i = 0; i < k; i++) {
        if (active[i] !== 1) continue;
        lengths[i] = t + 1;
        if (result.terminated[i] === 1 || result.truncated[i] === 1) active[i] = 0;
      }
      steps = t + 1;
      if (this.shouldStop) break;
    }
    const used = steps * k;

    // 2. An env still running was cut (cap or stop): truncated there, bootstrapping from V. Each
    //    env's end value: 0 when terminated, else V(the observation it ended on) (the queue-aware
    //    critic sees the backlog a truncation leaves).
    let cutEpisodes = 0;
    const endValues = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      const n = lengths[i] as number;
      if (n === 0) continue;
      const last = (n - 1) * k + i;
      if (active[i] === 1) {
        truncated[last] = 1;
        cutEpisodes += 1;
      }
      if (terminated[last] !== 1) endValues[i] = this.fast.forward(this.observation(i)).value;
    }
    for (let idx = 0; idx < used; idx++) {
      if (valid[idx] === 1 && !Number.isFinite(times[idx] as number)) {
        throw new ConfigError('ppo.baseline', "'critic' with this env (the input-driven baseline needs step infos that report time, simulated seconds)", 'input-driven');
      }
    }

    // 3. Returns (after return normalization, when on) and the input-driven baseline's advantages.
    const returnScale = this.scaleRewards({ rewards, terminated, truncated, valid, elapsed, used });
    const { advantages, returns } = inputDrivenBaseline({
      envs: k,
      lengths,
      rewards: rewards.subarray(0, used),
      times: times.subarray(0, used),
      endTimes: now,
      endValues,
      gamma: this.config.gamma,
      discount: this.discount,
    });
    const rollout: Rollout = { observations, actions, logProbs, values, advantages, returns };
    const indices: number[] = [];
    for (let idx = 0; idx < used; idx++) if (valid[idx] === 1) indices.push(idx);
    return { rollout, indices, returnScale, cutEpisodes };
  }

  /**
   * One gradient step on a minibatch; returns its diagnostics. The minibatch is cut into as many
   * contiguous shards as there are update threads (one by default), this thread computing the first.
   */
  private updateMinibatch(batchIndices: readonly number[], rollout: Rollout, epoch: number, learningRate: number): UpdateDiagnostics {
    // Advantages are normalized over the whole minibatch, before it is cut into shards.
    const advantages = Float64Array.from(batchIndices, (i) => rollout.advantages[i] as number);
    if (this.config.normAdv) normalize(advantages);
    // Positions into batchIndices: contiguous cuts, one per thread; or, on one thread with several
    // candidate tasks per observation, groups by candidate count, each padded to its own largest k.
    const cuts: number[][] = [];
    const candidates = (i: number) => (rollout.observations[i] as ObservationLike).k;
    if (this.updateThreads === 1 && candidates(batchIndices[0] as number) !== undefined) {
      cuts.push(...groupByCandidates(batchIndices.map((i) => candidates(i) ?? 1)));
    } else {
      const shardCount = Math.min(this.updateThreads, batchIndices.length);
      for (let s = 0; s < shardCount; s++) {
        const from = Math.floor((s * batchIndices.length) / shardCount);
        const to = Math.floor(((s + 1) * batchIndices.length) / shardCount);
        cuts.push(Array.from({ length: to - from }, (_, p) => from + p));
      }
    }
    const shards = cuts.map((positions): ShardArrays => {
      const count = positions.length;
      const observations: ObservationLike[] = new Array(count);
      const actions = new Int32Array(count);
      const oldLogProbs = new Float32Array(count);
      const shardAdvantages = new Float32Array(count);
      const returns = new Float32Array(count);
      for (let r = 0; r < count; r++) {
        const p = positions[r] as number;
        const i = batchIndices[p] as number;
        observations[r] = rollout.observations[i] as ObservationLike;
        actions[r] = rollout.actions[i] as number;
        oldLogProbs[r] = rollout.logProbs[i] as number;
        shardAdvantages[r] = advantages[p] as number;
        returns[r] = rollout.returns[i] as number;
      }
      const batch = batchObservations(observations, this.network.config.taskFeatures, this.network.config.serverFeatures);
      return {
        batch,
        // Each observation's own action index, as the batch's column (the same index in a paper batch).
        actions: batchActions(batch, actions),
        oldLogProbs,
        advantages: shardAdvantages,
        returns,
        weight: count / batchIndices.length,
      };
    });
    const { gradients, diagnostics } = this.gradients.compute(shards, epoch, this.optimizer.parameters);
    // A NaN or infinite loss stops training before the optimizer step: the last checkpoint stays good.
    const terms: [string, number][] = [
      ['loss', diagnostics.ppoLoss + diagnostics.srrTotal],
      ['policyLoss', diagnostics.policyLoss],
      ['valueLoss', diagnostics.valueLoss],
    ];
    for (const [term, value] of terms) if (!Number.isFinite(value)) throw new NonFiniteLossError(epoch, term, value);
    const { gradNorm } = this.optimizer.applyFlat(gradients, learningRate);
    return { ...diagnostics, gradNorm };
  }

  protected checkpointNetworks(): Record<string, Network> {
    return { policy: this.network };
  }
  protected checkpointOptimizers(): Record<string, PackedAdam> {
    return { policy: this.optimizer };
  }
  protected rngStreams(): Record<string, Rng> {
    return { actions: this.behaviour.rng, minibatches: this.shuffleRng, ...(this.episodeRng === null ? {} : { episodes: this.episodeRng }) };
  }
  protected restoreRngs(states: Record<string, RngState>): void {
    this.behaviour.rng = rngFrom(states, 'actions');
    this.shuffleRng = rngFrom(states, 'minibatches');
    if (this.episodeRng !== null) this.episodeRng = rngFrom(states, 'episodes');
  }
  /**
   * Checks the steps' durations when discounting per second, then divides the rollout's rewards in
   * place by the discounted return's running std when return normalization is on; returns that
   * divisor (undefined when off). Both rollouts (steps and episodes) go through here before their
   * advantages.
   */
  private scaleRewards(r: { rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; valid: Uint8Array; elapsed: Float64Array; used: number }): number | undefined {
    if (this.discount === 'per-second') checkElapsed(r.elapsed, r.valid, r.used);
    const gamma = this.config.gamma;
    const elapsed = r.elapsed;
    return this.returnNormalizer?.normalize({ ...r, discountAt: this.discount === 'per-second' ? (idx) => gamma ** (elapsed[idx] as number) : () => gamma });
  }

  protected override extraState(): Record<string, unknown> {
    return this.returnNormalizer === null ? {} : { returnNormalizer: this.returnNormalizer.state() };
  }
  protected override restoreExtra(_arrays: ReadonlyMap<string, unknown>, state: Record<string, unknown>): void {
    this.returnNormalizer?.restore(state.returnNormalizer);
  }
  protected afterLoad(): void {
    this.optimizer.syncFromVariables();
    this.fast.refresh();
  }
  dispose(): void {
    this.gradients.dispose();
    this.network.dispose();
  }
}

/** Per-second discounting needs every learned step's simulated duration (`info.elapsed`). */
function checkElapsed(elapsed: Float64Array, valid: Uint8Array, used: number): void {
  for (let idx = 0; idx < used; idx++) {
    const dt = elapsed[idx] as number;
    if (valid[idx] === 1 && !(dt >= 0 && Number.isFinite(dt))) {
      throw new ConfigError('discount', "'per-step' (per-second discounting needs an env whose step info reports elapsed >= 0, simulated seconds)", 'per-second');
    }
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
