/** Mean, sample standard deviation and the 95% confidence interval of the mean (Student t). */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
  /** Half-width of the 95% CI of the mean: t_{0.975, n-1} * std / sqrt(n). */
  readonly ci95: number;
}

/** Two-sided 95% Student t critical values for 1..30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074,
  2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tCritical95(degreesOfFreedom: number): number {
  if (degreesOfFreedom < 1) return Number.NaN;
  return T_975[degreesOfFreedom - 1] ?? 1.96;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, std: Number.NaN, ci95: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, std: Number.NaN, ci95: Number.NaN };
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  const std = Math.sqrt(variance);
  return { n, mean, std, ci95: (tCritical95(n - 1) * std) / Math.sqrt(n) };
}
