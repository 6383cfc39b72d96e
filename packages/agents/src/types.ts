import type { VectorObservation } from '@scale/env';
import type { ObservationLike } from '@scale/model';

/** What an agent needs from an episode's end (a subset of `@scale/env`'s `StepInfo.episode`). */
export interface EpisodeSummary {
  readonly return: number;
  readonly meanResponseTime?: number | null;
  readonly completedTasks?: number | null;
}

/** What an agent reads from a step's info (a subset of `@scale/env`'s `StepInfo`). */
export interface StepInfoLike {
  /** Only at an episode's end. */
  readonly episode?: EpisodeSummary | undefined;
  /**
   * Simulated seconds from the decision this step answered to the observation it returned (jumps,
   * waits, defers and invalid-action delays included): what per-second discounting reads.
   */
  readonly elapsed?: number | undefined;
  /** Simulated time of the observation this step returned (the input-driven baseline aligns envs by it). */
  readonly time?: number | undefined;
}

/**
 * A vectorized environment with Gymnasium's next-step autoreset, in `@scale/env`'s packed layout.
 * `VectorEnv` implements it; tests use small synthetic ones (bandits). `snapshot`/`restore` make
 * training checkpoints resumable mid-episode.
 */
export interface VecEnvLike {
  readonly numEnvs: number;
  reset(args?: { seed?: number }): { obs: VectorObservation };
  step(actions: ArrayLike<number>): {
    obs: VectorObservation;
    rewards: ArrayLike<number>;
    terminated: ArrayLike<number>;
    truncated: ArrayLike<number>;
    infos: readonly StepInfoLike[];
  };
  /**
   * Env i's observation out of a packed one (views valid until the next step). Absent: `VectorEnv.view`,
   * the env package's layout. A synthetic env whose observations that layout does not carry gives its own.
   */
  view?(obs: VectorObservation, i: number): ObservationLike;
  /**
   * Resets every env with the same seed: k episodes of one arrival sequence (`@scale/env`'s
   * `VectorEnv.resetSameSeed`). With `stepActive`, what PPO's input-driven baseline needs.
   */
  resetSameSeed?(seed: number): { obs: VectorObservation; infos: readonly StepInfoLike[] };
  /**
   * `step` for the envs with `active[i] = 1` only; the others are held (not stepped, not autoreset,
   * their last observation again with reward 0 and neither flag set).
   */
  stepActive?(actions: ArrayLike<number>, active: ArrayLike<number>): ReturnType<VecEnvLike['step']>;
  snapshot?(): unknown;
  restore?(snapshot: never): { obs: VectorObservation };
}

/**
 * A teacher that labels any state: what DAgger imitates (`@scale/env`'s `RolloutExpert` behind a
 * vector env, in training). `label(i, obs)` is about env i's pending decision, whose observation is
 * `obs`: the action the expert takes (-1 when no action is valid) and, per action of `obs`, 1 for
 * each action it calls optimal (the label's action among them).
 */
export interface ExpertLike {
  label(env: number, obs: ObservationLike): { readonly action: number; readonly optimal: Uint8Array };
}

export type { VectorObservation };
