/**
 * What a PPO epoch reports besides the shared columns: its metrics.csv / metrics.jsonl columns, in
 * this order (results/ and the figures read them by these names). The loss terms and `gradNorm`
 * are means over the epoch's minibatch updates (NaN with none).
 */
export type PpoDiagnostics = {
  /** The epoch's Adam step size (after the schedule). */
  learningRate: number;
  /** The clipped surrogate, negated. */
  policyLoss: number;
  /** 0.5 mean (V - R)^2. */
  valueLoss: number;
  /** Mean entropy of the (masked) policy. */
  entropy: number;
  /** Schulman's k3 estimate of KL(old || new), `mean((r - 1) - log r)`. */
  approxKl: number;
  /** Fraction of rows with `|r - 1| > clipCoef`. */
  clipFraction: number;
  /** Of the rollout's valid steps: how much of the returns' variance V explains (`explainedVariance`). */
  explainedVariance: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** SRR's warm-up weight at the epoch's last update (0 with SRR off). */
  srrWeight: number;
  /** SRR's decorrelation and KL terms (NaN with SRR off). */
  srrDecorrelation: number;
  srrKl: number;
  /** Gradient steps taken. */
  updates: number;
  /** 1 when `targetKl` ended the update early, else 0. */
  stoppedOnKl: number;
  /** With return normalization only: the divisor applied to this rollout's rewards (the discounted return's running std). */
  returnScale?: number;
};

/** 1 - Var(returns - values) / Var(returns): 1 is a perfect critic, 0 no better than a constant. */
export function explainedVariance(predicted: readonly number[], actual: readonly number[]): number {
  const n = actual.length;
  if (n === 0) return Number.NaN;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: readonly number[]) => {
    const m = mean(xs);
    return xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length;
  };
  const varActual = variance(actual);
  if (varActual === 0) return Number.NaN;
  return 1 - variance(actual.map((a, i) => a - (predicted[i] as number))) / varActual;
}
