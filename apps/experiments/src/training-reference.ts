import { type EnvConfigInput, SchedulingEnv } from '@scale/env';
import { makePolicy } from '@scale/sim';
import { summarize } from './statistics.js';

/** What a heuristic's reference return was computed on: a training run's env and the first episodes of each of its envs. */
export interface TrainingEpisodes {
  /** The run's env config (its `config.env`, with `nodes` and `invalidAction`). */
  readonly env: Omit<EnvConfigInput, 'seed'>;
  /** The run's seed: env i of its vector env is seeded `seed + i` and first reset with that seed. */
  readonly seed: number;
  /** How many envs the run stepped in parallel. */
  readonly envs: number;
  /** Episodes per env, from each env's first. */
  readonly episodesPerEnv: number;
}

/** A heuristic's episode returns on a run's training episodes, in env order then episode order. */
export interface ReferenceReturns {
  readonly policy: string;
  readonly seed: number;
  readonly envs: number;
  readonly episodesPerEnv: number;
  readonly returns: readonly number[];
  readonly mean: number;
}

/**
 * Plays a heuristic (`makePolicy(name)` of `@scale/sim`, the server choice for the env's pending
 * task) through the env on the episodes a training run trains on: each env is built and first reset
 * as the run's vector env does (`seed + i`), and later resets draw their seeds from the env's own
 * reset stream, which no action touches. So these are the run's episodes whatever its policy did,
 * and the returns are those of the same reward. Deterministic.
 */
export function heuristicTrainingReturns(name: string, episodes: TrainingEpisodes): ReferenceReturns {
  const returns: number[] = [];
  for (let i = 0; i < episodes.envs; i++) {
    const env = new SchedulingEnv({ ...episodes.env, seed: episodes.seed + i } as EnvConfigInput);
    const policy = makePolicy(name, { seed: episodes.seed + i });
    let start = env.reset({ seed: episodes.seed + i });
    for (let done = 0; done < episodes.episodesPerEnv; ) {
      // An episode over at its reset (no decision at all) is not a training episode: the vector env resets again.
      if (start.info.episode !== undefined) {
        start = env.reset();
        continue;
      }
      for (let over = false; !over; ) {
        const sim = env.simulation;
        const server = policy.choose(sim);
        // Actions name the up servers in id order.
        let action = 0;
        for (let j = 0; j < server; j++) if (sim.isUp(j)) action++;
        const step = env.step(action);
        over = step.terminated || step.truncated;
        if (over) returns.push(step.info.episode?.return ?? Number.NaN);
      }
      done++;
      if (done < episodes.episodesPerEnv) start = env.reset();
    }
  }
  return { policy: name, seed: episodes.seed, envs: episodes.envs, episodesPerEnv: episodes.episodesPerEnv, returns, mean: summarize(returns).mean };
}
