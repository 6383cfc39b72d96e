import { type NamedArray, type Network, type ObservationLike, type PackedAdam, loadNetworkArrays, networkArrays, readCheckpoint, writeCheckpoint, CheckpointError } from '@scale/model';
import { Rng, type RngState } from '@scale/workload';
import type { Callback, EpochMetrics, EvaluationResult } from './callbacks.js';
import { recoverCheckpoint, swapCheckpoint } from './checkpoint-swap.js';
import { VectorEnv } from '@scale/env';
import type { Method } from './method.js';
import { MetricsLog } from './metrics-log.js';
import type { StepInfoLike, VecEnvLike, VectorObservation } from './types.js';

/** What every agent does, whatever its algorithm (Stable-Baselines3's split: policy, algorithm, loop). */
export interface Agent {
  readonly kind: Method['agent'];
  readonly method: Method;
  /** Env steps taken and epochs finished so far. */
  readonly globalStep: number;
  readonly epoch: number;
  /** One action per observation; `deterministic` = greedy (argmax), else the behaviour policy. */
  act(observations: readonly ObservationLike[], options?: { deterministic?: boolean }): Int32Array;
  /** Trains until `epochs` epochs are done in total (a resumed agent continues its count). */
  learn(options: LearnOptions): Promise<TrainingSummary>;
  /** A full training checkpoint: networks, optimizer moments, RNG streams, counters, env state. */
  save(directory: string): Promise<void>;
  /** Restores what `save` wrote; training then continues exactly as if never stopped. */
  load(directory: string): Promise<void>;
  dispose(): void;
}

export interface LearnOptions {
  /** Total epochs (an epoch = `numEnvs x stepsPerEnv` env steps and the updates they drive). */
  readonly epochs: number;
  readonly callbacks?: readonly Callback[];
  /**
   * Where `metrics.csv`, `metrics.jsonl` and `checkpoint/` go; nothing is written without it. The
   * logs there are first cut back to the agent's epoch: after `load`, rows logged past the
   * checkpoint go; for a new agent (epoch 0), a dead run's rows go.
   */
  readonly outDir?: string;
  /** Write the checkpoint every this many epochs (and at the end). */
  readonly checkpointEvery?: number;
  /** Run `run(agent)` every `every` epochs and pass its result to `onEvaluation`. */
  readonly evaluation?: { readonly every: number; readonly run: (agent: Agent) => EvaluationResult | Promise<EvaluationResult> };
}

export interface TrainingSummary {
  readonly epochs: number;
  readonly globalStep: number;
  readonly stoppedEarly: boolean;
  readonly last: EpochMetrics | null;
}

/** Options every agent takes. */
export interface CommonAgentOptions {
  /** Seeds the networks, the agent's RNG streams and the envs' first reset. */
  readonly seed: number;
  /** Mask mode: invalid actions are never sampled (their logits / Q-values are masked). */
  readonly mask: boolean;
}

/** Episode bookkeeping for one epoch. */
interface EpochTally {
  steps: number;
  rewardSum: number;
  episodes: number;
  returnSum: number;
  responseSum: number;
  responseCount: number;
}

/**
 * The training loop the three algorithms share: stepping the vector env with next-step autoreset
 * bookkeeping, epoch metrics, callbacks, the CSV/JSONL log, and resumable checkpoints. Each algorithm
 * supplies `trainEpoch` (its own collect and update, readable top to bottom in its file) and names
 * its networks, optimizers and RNG streams.
 */
export abstract class BaseAgent implements Agent {
  abstract readonly kind: Method['agent'];
  epoch = 0;
  globalStep = 0;
  /** The observation each env's next action answers. */
  protected obs: VectorObservation;
  /** Env i's next step is an autoreset (its action is ignored; the transition is not learned from). */
  protected resetting: boolean[];
  private tally: EpochTally = emptyTally();
  private stopRequested = false;

  constructor(
    readonly env: VecEnvLike,
    readonly method: Method,
    protected readonly common: CommonAgentOptions,
  ) {
    this.obs = env.reset({ seed: common.seed }).obs;
    this.resetting = new Array<boolean>(env.numEnvs).fill(false);
  }

  abstract act(observations: readonly ObservationLike[], options?: { deterministic?: boolean }): Int32Array;
  /** Collects and updates for one epoch; returns the algorithm's own diagnostics. */
  protected abstract trainEpoch(epoch: number, totalEpochs: number, callbacks: readonly Callback[]): Record<string, number>;
  /** The networks a checkpoint holds, by name. */
  protected abstract checkpointNetworks(): Record<string, Network>;
  /** The optimizers a checkpoint holds, by name. */
  protected abstract checkpointOptimizers(): Record<string, PackedAdam>;
  /** The RNG streams a checkpoint holds, by name (restored in place through `restoreRngs`). */
  protected abstract rngStreams(): Record<string, Rng>;
  protected abstract restoreRngs(states: Record<string, RngState>): void;
  /** Extra arrays (replay buffers) and JSON state (temperatures, schedules). */
  protected extraArrays(): Map<string, NamedArray> {
    return new Map();
  }
  protected extraState(): Record<string, unknown> {
    return {};
  }
  protected restoreExtra(_arrays: ReadonlyMap<string, NamedArray>, _state: Record<string, unknown>): void {}
  /** Called after weights are loaded (refresh fast paths, target networks). */
  protected abstract afterLoad(): void;
  abstract dispose(): void;

  /** Env i's current observation (views, valid until the next step). */
  protected observation(i: number): ObservationLike {
    return this.env.view === undefined ? VectorEnv.view(this.obs, i) : this.env.view(this.obs, i);
  }

  /**
   * Resets every env with the same `seed` (`VecEnvLike.resetSameSeed`); returns the reset infos (an
   * env whose episode is over at reset has `episode`: it has no decision to take).
   */
  protected resetSameSeed(seed: number): readonly StepInfoLike[] {
    if (this.env.resetSameSeed === undefined) throw new Error('this env cannot reset every env with one seed (resetSameSeed)');
    const { obs, infos } = this.env.resetSameSeed(seed);
    this.obs = obs;
    this.resetting = infos.map((info) => info.episode !== undefined);
    return infos;
  }

  /**
   * Steps every env; returns what the algorithm stores. `valid[i]` is false for an autoreset step;
   * `elapsed[i]` is the step's `info.elapsed` (simulated seconds), NaN when the env does not report it.
   * Keeps the epoch's episode tally and runs `onStep` callbacks. With `only`, steps just the envs with
   * `only.active[i] = 1` (`VecEnvLike.stepActive`): the others are held, invalid and not tallied; and
   * writes each stepped env's `info.time` (NaN when not reported) into `only.times`.
   */
  protected stepEnvs(
    actions: Int32Array,
    callbacks: readonly Callback[],
    only?: { readonly active: Uint8Array; readonly times: Float64Array },
  ): { rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; valid: Uint8Array; elapsed: Float64Array } {
    const k = this.env.numEnvs;
    const valid = new Uint8Array(k);
    for (let i = 0; i < k; i++) valid[i] = this.resetting[i] || (only !== undefined && only.active[i] !== 1) ? 0 : 1;
    let result: ReturnType<VecEnvLike['step']>;
    if (only === undefined) result = this.env.step(actions);
    else if (this.env.stepActive !== undefined) result = this.env.stepActive(actions, only.active);
    else throw new Error('this env cannot hold finished envs while others step (stepActive)');
    const rewards = new Float32Array(k);
    const terminated = new Uint8Array(k);
    const truncated = new Uint8Array(k);
    const elapsed = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      rewards[i] = result.rewards[i] as number;
      terminated[i] = result.terminated[i] as number;
      truncated[i] = result.truncated[i] as number;
      elapsed[i] = result.infos[i]?.elapsed ?? Number.NaN;
      if (only !== undefined) {
        if (only.active[i] !== 1) continue;
        only.times[i] = result.infos[i]?.time ?? Number.NaN;
      }
      if (valid[i] === 1) {
        this.tally.steps += 1;
        this.tally.rewardSum += rewards[i] as number;
        this.globalStep += 1;
      }
      this.resetting[i] = terminated[i] === 1 || truncated[i] === 1;
      const episode = result.infos[i]?.episode;
      if (this.resetting[i] && episode !== undefined) {
        this.tally.episodes += 1;
        this.tally.returnSum += episode.return;
        if (typeof episode.meanResponseTime === 'number' && Number.isFinite(episode.meanResponseTime)) {
          this.tally.responseSum += episode.meanResponseTime;
          this.tally.responseCount += 1;
        }
      }
    }
    this.obs = result.obs;
    for (const callback of callbacks) if (callback.onStep?.(this.globalStep) === false) this.stopRequested = true;
    return { rewards, terminated, truncated, valid, elapsed };
  }

  /** Whether a callback asked to stop (checked by `trainEpoch` loops between steps). */
  protected get shouldStop(): boolean {
    return this.stopRequested;
  }

  async learn(options: LearnOptions): Promise<TrainingSummary> {
    const callbacks = options.callbacks ?? [];
    const log = options.outDir === undefined ? null : new MetricsLog(options.outDir);
    // The log ends where this run continues: at the loaded checkpoint's epoch, or empty for a new run.
    if (log !== null) await log.continueFrom(this.epoch);
    const checkpointEvery = options.checkpointEvery ?? 1;
    let last: EpochMetrics | null = null;
    this.stopRequested = false;
    while (this.epoch < options.epochs && !this.stopRequested) {
      const epoch = this.epoch + 1;
      this.tally = emptyTally();
      const start = performance.now();
      const own = this.trainEpoch(epoch, options.epochs, callbacks);
      const seconds = (performance.now() - start) / 1000;
      this.epoch = epoch;
      const t = this.tally;
      const metrics: EpochMetrics = {
        epoch,
        globalStep: this.globalStep,
        episodes: t.episodes,
        meanEpisodeReturn: t.episodes > 0 ? t.returnSum / t.episodes : Number.NaN,
        meanResponseTime: t.responseCount > 0 ? t.responseSum / t.responseCount : Number.NaN,
        meanReward: t.steps > 0 ? t.rewardSum / t.steps : Number.NaN,
        learningRate: Number.NaN,
        stepsPerSec: seconds > 0 ? t.steps / seconds : Number.NaN,
        ...own,
      };
      last = metrics;
      if (log !== null) await log.append(metrics);
      if (options.outDir !== undefined && (epoch % checkpointEvery === 0 || epoch === options.epochs)) {
        await this.save(`${options.outDir}/checkpoint`);
      }
      for (const callback of callbacks) if ((await callback.onEpoch?.(metrics)) === false) this.stopRequested = true;
      if (options.evaluation !== undefined && epoch % options.evaluation.every === 0) {
        const result = await options.evaluation.run(this);
        for (const callback of callbacks) if ((await callback.onEvaluation?.(result)) === false) this.stopRequested = true;
      }
    }
    if (this.stopRequested && options.outDir !== undefined && last !== null) await this.save(`${options.outDir}/checkpoint`);
    return { epochs: this.epoch, globalStep: this.globalStep, stoppedEarly: this.epoch < options.epochs, last };
  }

  async save(directory: string): Promise<void> {
    const arrays = new Map<string, NamedArray>();
    for (const [name, network] of Object.entries(this.checkpointNetworks())) {
      for (const [key, value] of networkArrays(network, `network/${name}/`)) arrays.set(key, value);
    }
    const adamSteps: Record<string, number> = {};
    for (const [name, adam] of Object.entries(this.checkpointOptimizers())) {
      const state = adam.getState();
      arrays.set(`adam/${name}/m`, { shape: [state.m.length], data: state.m });
      arrays.set(`adam/${name}/v`, { shape: [state.v.length], data: state.v });
      adamSteps[name] = state.step;
    }
    for (const [key, value] of this.extraArrays()) arrays.set(`extra/${key}`, value);
    const rngs: Record<string, RngState> = {};
    for (const [name, rng] of Object.entries(this.rngStreams())) rngs[name] = rng.getState();
    const metadata = {
      kind: 'agent',
      agent: this.kind,
      method: this.method,
      networks: Object.fromEntries(Object.entries(this.checkpointNetworks()).map(([name, n]) => [name, n.config])),
      epoch: this.epoch,
      globalStep: this.globalStep,
      adamSteps,
      rngs,
      resetting: this.resetting,
      env: this.env.snapshot?.() ?? null,
      extra: this.extraState(),
    };
    // Written beside, then swapped in: a kill at any moment leaves a whole checkpoint (see checkpoint-swap.ts).
    await swapCheckpoint(directory, (staging) => writeCheckpoint(staging, arrays, metadata));
  }

  async load(directory: string): Promise<void> {
    // A kill mid-swap can leave the checkpoint beside its directory; put it back first.
    await recoverCheckpoint(directory);
    const { arrays, metadata } = await readCheckpoint(directory);
    if (metadata.kind !== 'agent' || metadata.agent !== this.kind) {
      throw new CheckpointError(directory, `expected a ${this.kind} agent checkpoint, received ${JSON.stringify(metadata.agent ?? metadata.kind)}`);
    }
    for (const [name, network] of Object.entries(this.checkpointNetworks())) loadNetworkArrays(network, arrays, directory, `network/${name}/`);
    const adamSteps = metadata.adamSteps as Record<string, number>;
    for (const [name, adam] of Object.entries(this.checkpointOptimizers())) {
      const m = arrays.get(`adam/${name}/m`);
      const v = arrays.get(`adam/${name}/v`);
      if (m === undefined || v === undefined) throw new CheckpointError(directory, `missing optimizer state adam/${name}`);
      adam.setState({ step: adamSteps[name] ?? 0, m: m.data, v: v.data });
    }
    this.restoreRngs(metadata.rngs as Record<string, RngState>);
    this.epoch = metadata.epoch as number;
    this.globalStep = metadata.globalStep as number;
    this.resetting = [...(metadata.resetting as boolean[])];
    if (metadata.env !== null) {
      if (this.env.restore === undefined) throw new CheckpointError(directory, 'the checkpoint holds env state but this env cannot restore it');
      this.obs = this.env.restore(metadata.env as never).obs;
    }
    const extra = new Map<string, NamedArray>();
    for (const [key, value] of arrays) if (key.startsWith('extra/')) extra.set(key.slice('extra/'.length), value);
    try {
      this.restoreExtra(extra, metadata.extra as Record<string, unknown>);
    } catch (error) {
      // An agent's extra state that does not parse is a bad checkpoint, named as one.
      throw new CheckpointError(directory, error instanceof Error ? error.message : String(error));
    }
    this.afterLoad();
  }
}

function emptyTally(): EpochTally {
  return { steps: 0, rewardSum: 0, episodes: 0, returnSum: 0, responseSum: 0, responseCount: 0 };
}

/** The RNG stream `name` from a checkpoint's states, or a clear error. */
export function rngFrom(states: Record<string, RngState>, name: string): Rng {
  const state = states[name];
  if (state === undefined) throw new Error(`checkpoint has no RNG state ${name}`);
  return Rng.fromState(state);
}
