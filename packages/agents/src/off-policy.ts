import type { NamedArray, ObservationLike } from '@scale/model';
import type { Rng } from '@scale/workload';
import { z } from 'zod';
import { BaseAgent } from './base-agent.js';
import type { Callback } from './callbacks.js';
import { type ObservationJson, copyObservation, observationFromJson, observationToJson } from './internal/observations.js';
import type { ReplayBuffer, Transition } from './replay-buffer.js';

/** The collection and replay settings DQN and SAC share (Stable-Baselines3's names; defaults ours unless noted). */
export const OffPolicyScheduleSchema = z.object({
  /** Vector steps per env per epoch (an epoch = numEnvs x stepsPerEnv env steps; 256, as PPO). */
  stepsPerEnv: z.number().int().min(1).max(1_000_000).default(256),
  /** Replay capacity in transitions (100k; SB3 1M). */
  bufferSize: z.number().int().min(1).max(10_000_000).default(100_000),
  /** Env steps of uniform-random actions before the first update (1,000). */
  learningStarts: z.number().int().min(0).default(1000),
  /** Minibatch size (64; SB3 32 for DQN). */
  batchSize: z.number().int().min(1).max(1_000_000).default(64),
  /** Update every this many vector steps (SB3: 4)... */
  trainFrequency: z.number().int().min(1).default(4),
  /** ...with this many gradient steps (SB3: 1). */
  gradientSteps: z.number().int().min(1).default(1),
  /** Discount (0.99, as PPO). */
  gamma: z.number().min(0).max(1).default(0.99),
});

/** What the off-policy loop reads: the shared settings and the n of the n-step return (1: one-step TD). */
export type OffPolicySchedule = z.output<typeof OffPolicyScheduleSchema> & { readonly nStep: number };

/**
 * The collect-store-update loop of the off-policy agents: act on every env, step, turn transitions
 * into n-step transitions in the replay buffer (autoreset steps are dropped), and run gradient
 * steps at the configured frequency. DQN and SAC supply the behaviour policy and the update.
 */
export abstract class OffPolicyAgent extends BaseAgent {
  protected abstract readonly schedule: OffPolicySchedule;
  protected abstract replay: ReplayBuffer;
  /** Draws replay minibatches and exploration. */
  protected abstract sampleRng: Rng;
  /** Per env, the not-yet-emitted steps of the current n-step window. */
  private pending: { obs: ObservationLike; action: number; reward: number }[][] = [];

  /** The action to take in env i's observation during training (exploration included). */
  protected abstract behaviour(obs: ObservationLike, epoch: number, totalEpochs: number): number;
  /** One gradient step on a replay minibatch; returns diagnostics to average over the epoch. */
  protected abstract update(batch: Transition[], epoch: number, totalEpochs: number): Record<string, number>;
  /** After every vector step (target-network updates). */
  protected abstract afterStep(): void;

  protected trainEpoch(epoch: number, totalEpochs: number, callbacks: readonly Callback[]): Record<string, number> {
    const k = this.env.numEnvs;
    const { stepsPerEnv, learningStarts, trainFrequency, gradientSteps, batchSize } = this.schedule;
    if (this.pending.length !== k) this.pending = Array.from({ length: k }, () => []);
    const sums: Record<string, number> = {};
    let updates = 0;
    const actions = new Int32Array(k);
    // One copy per env and step: the observation after step t is the one acted on at step t + 1.
    const copyAll = () => Array.from({ length: k }, (_, i) => copyObservation(this.observation(i)));
    let current = copyAll();
    for (let t = 0; t < stepsPerEnv && !this.shouldStop; t++) {
      for (let i = 0; i < k; i++) actions[i] = this.behaviour(current[i] as ObservationLike, epoch, totalEpochs);
      const result = this.stepEnvs(actions, callbacks);
      const next = copyAll();
      for (let i = 0; i < k; i++) {
        if (result.valid[i] === 0) continue;
        const ended = result.terminated[i] === 1 || result.truncated[i] === 1;
        this.remember(i, current[i] as ObservationLike, actions[i] as number, result.rewards[i] as number, next[i] as ObservationLike, ended, result.terminated[i] === 1);
      }
      current = next;
      if (this.globalStep >= learningStarts && this.replay.size >= batchSize && (t + 1) % trainFrequency === 0) {
        for (let g = 0; g < gradientSteps; g++) {
          const stats = this.update(this.replay.sample(batchSize, this.sampleRng), epoch, totalEpochs);
          for (const [key, value] of Object.entries(stats)) sums[key] = (sums[key] ?? 0) + value;
          updates += 1;
        }
      }
      this.afterStep();
    }
    const out: Record<string, number> = { updates, bufferSize: this.replay.size };
    for (const [key, value] of Object.entries(sums)) out[key] = value / updates;
    return out;
  }

  /** Adds a step to env i's n-step window and emits the transitions it completes (all ending at `nextObs`). */
  private remember(i: number, obs: ObservationLike, action: number, reward: number, nextObs: ObservationLike, ended: boolean, terminated: boolean): void {
    const { nStep, gamma } = this.schedule;
    const window = this.pending[i] as { obs: ObservationLike; action: number; reward: number }[];
    window.push({ obs, action, reward });
    const emit = () => {
      const first = window[0] as { obs: ObservationLike; action: number; reward: number };
      let total = 0;
      let discount = 1;
      for (const step of window) {
        total += discount * step.reward;
        discount *= gamma;
      }
      this.replay.add({ obs: first.obs, action: first.action, reward: total, nextObs, terminated, discount });
      window.shift();
    };
    if (ended) {
      while (window.length > 0) emit();
    } else if (window.length === nStep) emit();
  }

  protected override extraArrays(): Map<string, NamedArray> {
    return this.replay.toArrays();
  }

  /** The n-step windows in flight (a few steps per env), as JSON. */
  protected override extraState(): Record<string, unknown> {
    return {
      pending: this.pending.map((window) => window.map((s) => ({ ...observationToJson(s.obs), action: s.action, reward: s.reward }))),
    };
  }

  protected override restoreExtra(arrays: ReadonlyMap<string, NamedArray>, state: Record<string, unknown>): void {
    this.replay.loadArrays(arrays);
    const pending = (state.pending ?? []) as (ObservationJson & { action: number; reward: number })[][];
    this.pending = pending.map((window) => window.map(({ action, reward, ...obs }) => ({ obs: observationFromJson(obs), action, reward })));
  }
}
