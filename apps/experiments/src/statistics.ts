import { Rng } from '@scale/workload';

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
  const average = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean: average, std: Number.NaN, ci95: Number.NaN };
  const variance = values.reduce((a, b) => a + (b - average) * (b - average), 0) / (n - 1);
  const std = Math.sqrt(variance);
  return { n, mean: average, std, ci95: (tCritical95(n - 1) * std) / Math.sqrt(n) };
}

/** The arithmetic mean (NaN when empty). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/**
 * The interquartile mean: the mean of the values left after dropping the lowest and the highest
 * floor(n / 4) (scipy's `trim_mean(x, 0.25)`, which rliable uses). NaN when empty.
 */
export function interquartileMean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const cut = Math.floor(n / 4);
  let sum = 0;
  for (let i = cut; i < n - cut; i++) sum += sorted[i] as number;
  return sum / (n - 2 * cut);
}

/**
 * The probability that a run of A improves on (is lower than) a run of B on the same episode, ties
 * counting half: for each episode, the Mann-Whitney fraction over every (seed of A, seed of B) pair,
 * then the mean over episodes (rliable's probability of improvement, with episodes as its tasks).
 * `a[s][e]` and `b[s][e]` are seed s's value on episode e; both list the same episodes.
 */
export function probabilityOfImprovement(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  const episodes = a[0]?.length ?? 0;
  if (episodes === 0 || b.length === 0) return Number.NaN;
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let wins = 0;
    for (const rowA of a) {
      for (const rowB of b) {
        const x = rowA[e] as number;
        const y = rowB[e] as number;
        wins += x < y ? 1 : x === y ? 0.5 : 0;
      }
    }
    total += wins / (a.length * b.length);
  }
  return total / episodes;
}

/** Values of one policy on the evaluation episodes: `values[s][e]`, seed s (one row for a heuristic) on episode e. */
export type SeedEpisodeValues = readonly (readonly number[])[];

/** A point estimate and its 95% bootstrap percentile interval. */
export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/** Settings of the bootstrap: how many replicates, and the seed of its Rng (the same seed gives the same intervals). */
export interface BootstrapOptions {
  readonly replicates?: number;
  readonly seed?: number;
}

export const BOOTSTRAP_REPLICATES = 2000;
export const BOOTSTRAP_SEED = 20211206;

/** Thrown when the samples handed to the bootstrap do not share one seeds x episodes layout. */
export class BootstrapShapeError extends RangeError {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'BootstrapShapeError';
  }
}

function checkShape(samples: readonly SeedEpisodeValues[]): { seeds: number; episodes: number } {
  if (samples.length === 0) throw new BootstrapShapeError('samples', 'expected at least one sample');
  const episodes = samples[0]?.[0]?.length ?? 0;
  let seeds = 1;
  for (const [k, sample] of samples.entries()) {
    if (sample.length === 0) throw new BootstrapShapeError(`samples[${k}]`, 'expected at least one seed');
    for (const row of sample) if (row.length !== episodes || episodes === 0) throw new BootstrapShapeError(`samples[${k}]`, `expected every seed to have the same ${episodes} >= 1 episodes`);
    if (sample.length > 1) {
      if (seeds > 1 && sample.length !== seeds) throw new BootstrapShapeError(`samples[${k}]`, `expected 1 or ${seeds} seeds, got ${sample.length}`);
      seeds = sample.length;
    }
  }
  return { seeds, episodes };
}

function percentile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(sorted.length - 1, lower + 1);
  const weight = position - lower;
  return (sorted[lower] as number) * (1 - weight) + (sorted[upper] as number) * weight;
}

/**
 * A statistic of several policies on the same episodes with its 95% percentile interval from a
 * two-level stratified bootstrap: each replicate draws S training seeds with replacement, then E
 * episodes with replacement for the drawn seeds. The episodes are crossed with the seeds (every seed
 * ran the same evaluation episodes), so one episode draw serves every drawn seed: drawing them
 * separately per seed would count the same episode's difficulty as independent across seeds and
 * understate the interval, and would compare different episodes in a paired statistic. Every sample
 * takes the same draws (its own drawn seeds, or its one row for a heuristic), so the policies stay
 * paired by training seed and by episode. With one seed the bootstrap has one level (episodes). The
 * statistic gets each sample's values as `rows[s][e]` (original or resampled). Deterministic: the
 * draws come from `Rng(seed)`.
 */
export function bootstrap(samples: readonly SeedEpisodeValues[], statistic: (rows: readonly SeedEpisodeValues[]) => number, options: BootstrapOptions = {}): Estimate {
  const { seeds, episodes } = checkShape(samples);
  const replicates = options.replicates ?? BOOTSTRAP_REPLICATES;
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const value = statistic(samples);
  const resampled = samples.map(() => Array.from({ length: seeds }, () => new Array<number>(episodes).fill(0)));
  const seedDraw = new Array<number>(seeds).fill(0);
  const episodeDraw = new Array<number>(episodes).fill(0);
  const results = new Float64Array(replicates);
  for (let r = 0; r < replicates; r++) {
    for (let s = 0; s < seeds; s++) seedDraw[s] = seeds === 1 ? 0 : rng.int(0, seeds - 1);
    for (let e = 0; e < episodes; e++) episodeDraw[e] = rng.int(0, episodes - 1);
    for (let s = 0; s < seeds; s++) {
      for (const [k, sample] of samples.entries()) {
        const source = sample.length === 1 ? (sample[0] as readonly number[]) : (sample[seedDraw[s] as number] as readonly number[]);
        const target = (resampled[k] as number[][])[s] as number[];
        for (let e = 0; e < episodes; e++) target[e] = source[episodeDraw[e] as number] as number;
      }
    }
    results[r] = statistic(resampled);
  }
  const finite = Float64Array.from(results.filter(Number.isFinite)).sort();
  if (finite.length === 0) return { value, low: Number.NaN, high: Number.NaN };
  return { value, low: percentile(finite, 0.025), high: percentile(finite, 0.975) };
}

/** Every value of a sample in one array (seeds, then episodes). */
export function flatten(rows: SeedEpisodeValues): number[] {
  return rows.flat();
}

/** The mean and the interquartile mean of one policy's values, each with its 95% bootstrap interval. */
export function describe(values: SeedEpisodeValues, options: BootstrapOptions = {}): { readonly mean: Estimate; readonly iqm: Estimate } {
  return {
    mean: bootstrap([values], (rows) => mean(flatten(rows[0] as SeedEpisodeValues)), options),
    iqm: bootstrap([values], (rows) => interquartileMean(flatten(rows[0] as SeedEpisodeValues)), options),
  };
}
