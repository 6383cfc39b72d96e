/** One epoch's diagnostics: shared columns first, then the algorithm's own (policyLoss, qLoss, ...). */
export interface EpochMetrics {
  readonly epoch: number;
  /** Env steps taken so far (all envs). */
  readonly globalStep: number;
  /** Episodes that ended during this epoch, their mean return and mean response time (NaN if none). */
  readonly episodes: number;
  readonly meanEpisodeReturn: number;
  readonly meanResponseTime: number;
  /** Mean reward per env step this epoch (the per-epoch training curve; episodes span epochs). */
  readonly meanReward: number;
  readonly learningRate: number;
  /** End-to-end env steps per second this epoch (collection and update together). */
  readonly stepsPerSec: number;
  readonly [key: string]: number;
}

/** What an evaluation callback reports. */
export interface EvaluationResult {
  readonly epoch: number;
  readonly [key: string]: number;
}

/**
 * Hooks into the training loop, Stable-Baselines3-style. Returning `false` from any hook stops
 * training after the current step or epoch (the epoch's metrics and checkpoint are still written).
 */
export interface Callback {
  /** After every vector-env step. */
  onStep?(globalStep: number): boolean | undefined;
  /** After every epoch, with its metrics. */
  onEpoch?(metrics: EpochMetrics): boolean | undefined | Promise<boolean | undefined>;
  /** After an evaluation run (see `LearnOptions.evaluation`). */
  onEvaluation?(result: EvaluationResult): boolean | undefined | Promise<boolean | undefined>;
}
