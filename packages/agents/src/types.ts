import type { VectorObservation } from '@scale/env';

/** What an agent needs from an episode's end (a subset of `@scale/env`'s `StepInfo.episode`). */
export interface EpisodeSummary {
  readonly return: number;
  readonly meanResponseTime?: number | null;
  readonly completedTasks?: number | null;
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
    infos: readonly { readonly episode?: EpisodeSummary | undefined }[];
  };
  snapshot?(): unknown;
  restore?(snapshot: never): { obs: VectorObservation };
}

export type { VectorObservation };
