import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EpisodeResult } from './evaluate.js';
import type { EvaluationRecord } from './jobs.js';
import { type Budget, type EvaluatedPolicy, evaluationFile, type Job, type Lookahead, policyKey, ZERO_SHOT_METHODS } from './plan.js';
import { BOOTSTRAP_REPLICATES, bootstrap, describe, type Estimate, flatten, mean, probabilityOfImprovement, type SeedEpisodeValues } from './statistics.js';
import { bootstrapClaim, type CellValue, type Claim, MIN_CLAIM_SEEDS } from './table.js';

/** JSON writes NaN as null: read the statistics' nulls back as NaN, so that no null is taken for 0 in arithmetic. */
const NUMERIC_FIELDS = new Set(['mean', 'std', 'ci95', 'meanResponseTime', 'p95ResponseTime', 'utilization', 'covOffDiagonal', 'kl', 'meanAbsCorrelation', 'effectiveRank', 'bound']);
function reviveNumbers(key: string, value: unknown): unknown {
  return value === null && NUMERIC_FIELDS.has(key) ? Number.NaN : value;
}

/** Every evaluation result of a reproduction, looked up by set, policy and N. */
export class ResultStore {
  constructor(private readonly records: ReadonlyMap<string, EvaluationRecord>) {}

  static async load(outDir: string, jobs: readonly Job[]): Promise<ResultStore> {
    const records = new Map<string, EvaluationRecord>();
    for (const job of jobs) {
      if (job.kind !== 'evaluate') continue;
      try {
        records.set(job.file, JSON.parse(await readFile(join(outDir, job.file), 'utf8'), reviveNumbers) as EvaluationRecord);
      } catch {
        // Not finished yet: its cells read `pending`.
      }
    }
    return new ResultStore(records);
  }

  get(set: string, policy: EvaluatedPolicy | string, nodes: number): EvaluationRecord | undefined {
    return this.records.get(evaluationFile(set, typeof policy === 'string' ? policy : policyKey(policy), nodes));
  }

  /** One record per seed (undefined while pending) of a learned method. */
  learned(set: string, method: string, seeds: readonly number[], nodes: number): (EvaluationRecord | undefined)[] {
    return seeds.map((seed) => this.get(set, `${method}-seed${seed}`, nodes));
  }
}

/** What a target's tables are made from: the results there are, and the settings they were made with. */
export interface TableContext {
  readonly store: ResultStore;
  readonly seeds: readonly number[];
  readonly budget: Budget;
  /** `wfformat:PATH` of the real workflows, when given. */
  readonly workload: string | null;
}

export type Metric = 'meanResponseTime' | 'completedTasks' | 'p95ResponseTime';

/** What the statistics read of an evaluation record: its episodes (an `EvaluationRecord`, or a derived one such as the best heuristic in hindsight). */
export interface EpisodeRecord {
  readonly summary: { readonly episodes: readonly EpisodeResult[] };
}

/** One policy's evaluation records: one per training seed (undefined while pending), or one for a heuristic. */
export type PolicyRecords = readonly (EpisodeRecord | undefined)[];

/** Per-episode values of several policies on the episodes all of them ran, paired by training seed and by episode seed. */
export interface AlignedSamples {
  /** `samples[p][s][e]`: policy p, its s-th finished training seed (one row for a heuristic), episode e. */
  readonly samples: readonly SeedEpisodeValues[];
  /** The episode seeds behind column e. */
  readonly episodeSeeds: readonly number[];
  /** Training seeds behind the learned policies (null when every policy is a heuristic). */
  readonly seeds: number | null;
}

/**
 * Aligns policies for a paired bootstrap: a learned policy keeps the training seeds every learned
 * policy here has finished (a seed pairs runs that share their initial streams and training
 * episodes), and every policy keeps the episode seeds they all ran (evaluation episodes are
 * `1,000,000 + e` for every policy, so at one N they are all shared). Null while a policy has no
 * finished record, or when they share no episode.
 */
export function alignSamples(policies: readonly PolicyRecords[], value: (episode: EpisodeResult) => number): AlignedSamples | null {
  const learned = policies.filter((p) => p.length > 1);
  const seedCount = learned.length === 0 ? 1 : Math.max(...learned.map((p) => p.length));
  const finishedSeeds = [...Array(seedCount).keys()].filter((k) => learned.every((p) => p[k] !== undefined));
  const kept = policies.map((p) => (p.length > 1 ? finishedSeeds.map((k) => p[k] as EpisodeRecord) : p.filter((r) => r !== undefined)));
  if (kept.some((records) => records.length === 0)) return null;
  let shared: number[] | null = null;
  for (const records of kept) {
    for (const record of records) {
      const seeds = new Set(record.summary.episodes.map((e) => e.seed));
      shared = shared === null ? [...seeds].sort((a, b) => a - b) : shared.filter((seed) => seeds.has(seed));
    }
  }
  if (shared === null || shared.length === 0) return null;
  const episodeSeeds = shared;
  const samples = kept.map((records) =>
    records.map((record) => {
      const bySeed = new Map(record.summary.episodes.map((e) => [e.seed, value(e)]));
      return episodeSeeds.map((seed) => bySeed.get(seed) as number);
    }),
  );
  return { samples, episodeSeeds, seeds: learned.length === 0 ? null : finishedSeeds.length };
}

/** A metric of one episode. */
export function metricOf(metric: Metric): (episode: EpisodeResult) => number {
  return (episode) => episode[metric];
}

/** One policy's cell: the mean and the interquartile mean with their 95% intervals (two-level bootstrap for a learned method, episodes for a heuristic). */
function describedCell(records: PolicyRecords, value: (episode: EpisodeResult) => number, learned: boolean): CellValue {
  const aligned = alignSamples([learned ? records : records.slice(0, 1)], value);
  if (aligned === null) return 'pending';
  const values = aligned.samples[0] as SeedEpisodeValues;
  const { mean, iqm } = describe(values);
  return {
    mean: mean.value,
    ci95: null,
    n: learned && records.length > 1 ? values.length : aligned.episodeSeeds.length,
    low: mean.low,
    high: mean.high,
    iqm,
    seeds: values.length,
    episodes: aligned.episodeSeeds.length,
    over: learned && records.length > 1 ? 'seeds and episodes' : 'episodes',
  };
}

/** A learned method's cell: the mean over seeds and episodes and the IQM, 95% intervals from the two-level bootstrap (seeds, then episodes). */
export function learnedCell(records: PolicyRecords, metric: Metric): CellValue {
  return describedCell(records, metricOf(metric), true);
}

/** A heuristic's cell: the mean over the evaluation episodes and the IQM, 95% intervals from the bootstrap over episodes. */
export function heuristicCell(record: EpisodeRecord | undefined, metric: Metric): CellValue {
  return describedCell([record], metricOf(metric), false);
}

/**
 * A count per episode (mean [95% interval], as `learnedCell`), or `not recorded` when a finished
 * evaluation predates its recording (its episodes lack the field).
 */
function perEpisodeCountCell(records: PolicyRecords, learned: boolean, field: 'invalidActions' | 'deferrals'): CellValue {
  const finished = records.filter((r) => r !== undefined);
  if (finished.some((r) => r.summary.episodes.some((e) => e[field] === undefined))) return { mean: Number.NaN, ci95: null, n: 0, note: 'not recorded' };
  const aligned = alignSamples([learned ? records : records.slice(0, 1)], (e) => e[field] ?? Number.NaN);
  if (aligned === null) return 'pending';
  const values = aligned.samples[0] as SeedEpisodeValues;
  const estimate = bootstrap([values], (rows) => mean(flatten(rows[0] as SeedEpisodeValues)));
  return { mean: estimate.value, ci95: null, n: learned && records.length > 1 ? values.length : aligned.episodeSeeds.length, low: estimate.low, high: estimate.high, seeds: values.length, episodes: aligned.episodeSeeds.length };
}

/** Invalid actions per episode (`perEpisodeCountCell`). */
export function invalidActionsCell(records: PolicyRecords, learned: boolean): CellValue {
  return perEpisodeCountCell(records, learned, 'invalidActions');
}

/** Deferrals per episode of a learned method whose env offers defer (`perEpisodeCountCell`). */
export function deferralsCell(records: PolicyRecords): CellValue {
  return perEpisodeCountCell(records, true, 'deferrals');
}

/** One value per seed (NaN while pending). */
export function perSeed(records: readonly (EvaluationRecord | undefined)[], value: (r: EvaluationRecord) => number): number[] {
  return records.map((r) => (r === undefined ? Number.NaN : value(r)));
}

/** The note every table with claims carries: how the verdicts are reached, and under which constants they hold. */
export const VERDICT_NOTE =
  'Verdicts: "effect detected" when the 95% interval of the effect (positive in the claimed direction) lies above 0; "no effect detected; the paper\'s size ruled out" (or "the margin ruled out", for our own questions) when it lies below the margin stated beside it; "inconclusive" otherwise. ' +
  `A claim needs ${MIN_CLAIM_SEEDS} training seeds: with fewer its verdict reads "too few seeds: k of ${MIN_CLAIM_SEEDS}", and "the interval alone" shows what the interval would say; "pending" while one side of it has no finished result. ` +
  'P(improvement) is the probability that the first method named has the lower response time than the second on an episode (ties half), averaged over the shared episodes (rliable). ' +
  "Every verdict holds under DESIGN.md's chosen constants (the paper's text lost most of them: reward scales, feature scales, the workload's distributions, the training budget).";

/** The first note of every table: how the numbers were made. */
export function protocolNote(context: TableContext, seedBase: 'paper' | 'confirmation' = 'paper', readouts: 'greedy' | 'greedy and sampled' = 'greedy'): string {
  const b = context.budget;
  const seeds = seedBase === 'paper' ? '1,000,000 + e, the same for every policy' : '2,000,000 + e: fresh seeds no exploration result has seen, the same for every policy';
  return (
    `Ours: ${b.epochs} training epochs per run at N=16, training seeds ${context.seeds.join(', ')}; evaluation on drained episodes with fixed seeds ` +
    `(${seeds}), ${readouts === 'greedy' ? 'greedy actions' : 'greedy actions, and sampled ones for the "-sample" readouts'}, ${b.episodes} episodes per N up to 256 and ${b.largeEpisodes} above` +
    `${b.horizon === null ? '' : `, ${b.horizon} s of arrivals per episode`}${b.quick ? ' (--quick: tiny budgets, the numbers are not findings)' : ''}. ` +
    "A cell is the mean [95% interval]; IQM is the interquartile mean [95% interval] (Agarwal et al., 2021). A learned method's values pool its training seeds' episodes, and its intervals come from a two-level stratified bootstrap (training seeds, then episodes within each seed); " +
    `a heuristic's from a bootstrap over episodes (${BOOTSTRAP_REPLICATES} replicates, seeded: the same results give the same intervals). Differences between policies are paired by training seed and by episode. ` +
    "Rows marked (paper's) are the paper's reported values, for comparison only."
  );
}

/** Our own questions' margin: a learned policy 1% faster than the best heuristic is the smallest gain we count as one. */
export const QUESTION_MARGIN_FRACTION = 0.01;

/** An effect and its probability of improvement from aligned samples, or nulls while pending. */
export function pairedEffect(
  policies: readonly PolicyRecords[],
  metric: Metric,
  effect: (rows: readonly SeedEpisodeValues[]) => number,
  improvement: ((rows: readonly SeedEpisodeValues[]) => number) | null,
): { effect: Estimate | null; improvement: Estimate | null; seeds: number | null; episodes: number } {
  const aligned = alignSamples(policies, metricOf(metric));
  if (aligned === null) return { effect: null, improvement: null, seeds: null, episodes: 0 };
  return {
    effect: bootstrap(aligned.samples, effect),
    improvement: improvement === null ? null : bootstrap(aligned.samples, improvement),
    seeds: aligned.seeds,
    episodes: aligned.episodeSeeds.length,
  };
}

/** How much lower `treated`'s mean is than `baseline`'s, in % of `baseline`'s: SRR's reduction (Table 4's statistic). */
export function reductionPercent(treated: number, baseline: number): number {
  return (100 * (baseline - treated)) / baseline;
}

/** The mean of sample `k` of a bootstrap replicate. */
export function meanOf(rows: readonly SeedEpisodeValues[], k: number): number {
  return mean(flatten(rows[k] as SeedEpisodeValues));
}

/** What a `comparison` row shows beyond the heuristics and the paper's zero-shot methods. */
export interface ComparisonOptions {
  /** The learned methods (default: `ZERO_SHOT_METHODS`, scale and crossattn). */
  readonly methods?: readonly string[];
  /**
   * Headroom columns: the episodes' lower bound, the best heuristic in hindsight (per episode, the
   * lowest response time of any heuristic of the row) and each method against it.
   */
  readonly headroom?: boolean;
  /** Add each method's deferrals per episode (methods whose env offers defer). */
  readonly deferrals?: boolean;
  /** Also ask "the method is at least `goalFraction` faster than the best heuristic" (0.1: 10%). */
  readonly goalFraction?: number;
  /**
   * The clairvoyant reference the comparison evaluated (`Comparison.lookahead`): its mean and its
   * paired difference from the best heuristic (empty cells at the N it did not run at).
   */
  readonly lookahead?: Lookahead;
}

/** The paper's zero-shot methods with the headroom columns (the regimes, elastic and real tables). */
export const HEADROOM: ComparisonOptions = { headroom: true };

/**
 * The best heuristic in hindsight: per episode (by seed), the lowest mean response time any of the
 * records reached on it; null while one is pending. A reference no single online heuristic reaches.
 */
export function hindsightRecord(records: readonly (EpisodeRecord | undefined)[]): EpisodeRecord | null {
  if (records.length === 0 || records.some((r) => r === undefined)) return null;
  const best = new Map<number, EpisodeResult>();
  for (const record of records as readonly EpisodeRecord[]) {
    for (const episode of record.summary.episodes) {
      const current = best.get(episode.seed);
      if (current === undefined || episode.meanResponseTime < current.meanResponseTime) best.set(episode.seed, episode);
    }
  }
  const shared = [...best.keys()].filter((seed) => (records as readonly EpisodeRecord[]).every((r) => r.summary.episodes.some((e) => e.seed === seed)));
  return { summary: { episodes: shared.sort((a, b) => a - b).map((seed) => best.get(seed) as EpisodeResult) } };
}

/**
 * The mean per-episode headroom bound (bootstrap over episodes), read from the first finished record
 * that recorded it (every policy of a row runs the same episodes, so they all have the same bound);
 * `not recorded` when every finished one predates it, pending when none has finished.
 */
export function boundCell(records: readonly (EpisodeRecord | undefined)[]): CellValue {
  const finished = records.filter((r) => r !== undefined);
  if (finished.length === 0) return 'pending';
  const record = finished.find((r) => r.summary.episodes.every((e) => e.bound !== undefined)) ?? (finished[0] as EpisodeRecord);
  if (record.summary.episodes.some((e) => e.bound === undefined)) return { mean: Number.NaN, ci95: null, n: 0, note: 'not recorded' };
  return describedCell([record], (e) => e.bound as number, false);
}

/** A paired difference `first - second` as a cell (interval over seeds and episodes). */
function differenceCell(first: PolicyRecords, second: EpisodeRecord | null): CellValue {
  if (second === null) return 'pending';
  const pair = pairedEffect([first, [second]], 'meanResponseTime', (rows) => meanOf(rows, 0) - meanOf(rows, 1), null);
  if (pair.effect === null) return 'pending';
  return { mean: pair.effect.value, ci95: null, n: pair.seeds ?? 1, low: pair.effect.low, high: pair.effect.high, seeds: pair.seeds ?? 1, episodes: pair.episodes, over: 'seeds and episodes' };
}

/** Cells of heuristics and learned methods on one evaluation set, and the questions "method beats the best heuristic". */
export function comparison(
  context: TableContext,
  set: string,
  nodes: number,
  heuristics: readonly string[],
  labelSuffix: string,
  options: ComparisonOptions = {},
): { cells: Record<string, CellValue>; claims: Claim[] } {
  const { store, seeds } = context;
  const methods = options.methods ?? ZERO_SHOT_METHODS;
  const cells: Record<string, CellValue> = {};
  for (const h of heuristics) cells[h] = heuristicCell(store.get(set, h, nodes), 'meanResponseTime');
  const finished = heuristics.map((h) => ({ name: h, record: store.get(set, h, nodes) }));
  const best = finished.every((c) => c.record !== undefined)
    ? finished.reduce((a, b) => ((b.record as EvaluationRecord).summary.meanResponseTime.mean < (a.record as EvaluationRecord).summary.meanResponseTime.mean ? b : a))
    : null;
  const hindsight = options.headroom === true ? hindsightRecord(finished.map((c) => c.record)) : null;
  if (options.headroom === true) {
    cells['bound'] = boundCell(finished.map((c) => c.record));
    cells['hindsight'] = hindsight === null ? 'pending' : heuristicCell(hindsight, 'meanResponseTime');
  }
  const lookahead = options.lookahead;
  if (lookahead !== undefined) {
    const record = lookahead.nodes.includes(nodes) ? store.get(set, lookahead.policy, nodes) : null;
    cells['lookahead'] = record === null ? null : heuristicCell(record, 'meanResponseTime');
    cells['lookahead-vs-best'] = record === null ? null : record === undefined ? 'pending' : differenceCell([record], best === null ? null : (best.record as EvaluationRecord));
  }
  const claims: Claim[] = [];
  const bestMean = best === null ? Number.NaN : (best.record as EvaluationRecord).summary.meanResponseTime.mean;
  for (const method of methods) {
    const learned = store.learned(set, method, seeds, nodes);
    cells[method] = learnedCell(learned, 'meanResponseTime');
    cells[`${method}-vs-best`] = differenceCell(learned, best === null ? null : (best.record as EvaluationRecord));
    if (options.headroom === true) cells[`${method}-vs-hindsight`] = differenceCell(learned, hindsight);
    if (options.deferrals === true) cells[`${method}-deferrals`] = deferralsCell(learned);
    const question = best === null ? null : pairedEffect([learned, [best.record]], 'meanResponseTime', (rows) => meanOf(rows, 1) - meanOf(rows, 0), (rows) => probabilityOfImprovement(rows[0] as SeedEpisodeValues, rows[1] as SeedEpisodeValues));
    claims.push(
      bootstrapClaim({
        claim: `${method} beats the best heuristic${best === null ? '' : ` (${best.name})`}, ${labelSuffix}`,
        test: 'best heuristic minus learned mean response time, s, paired by seed and episode; > 0. P(improvement): learned faster than the best heuristic on an episode',
        kind: 'question',
        paper: null,
        margin: { value: QUESTION_MARGIN_FRACTION * bestMean, source: 'ours', description: `ours: ${100 * QUESTION_MARGIN_FRACTION}% of the best heuristic's mean` },
        effect: question?.effect ?? null,
        improvement: question?.improvement ?? null,
        seeds: question?.seeds ?? null,
        episodes: question?.episodes ?? 0,
      }),
    );
    const goal = options.goalFraction;
    if (goal === undefined) continue;
    const goalEffect = best === null ? null : pairedEffect([learned, [best.record]], 'meanResponseTime', (rows) => (1 - goal) * meanOf(rows, 1) - meanOf(rows, 0), null);
    claims.push(
      bootstrapClaim({
        claim: `${method} is at least ${100 * goal}% faster than the best heuristic${best === null ? '' : ` (${best.name})`}, ${labelSuffix}`,
        test: `${1 - goal} x the best heuristic's mean response time minus the learned one, s, paired by seed and episode; > 0`,
        kind: 'question',
        paper: null,
        margin: { value: 0, source: 'ours', description: `the goal itself: the interval below 0 rules a ${100 * goal}% gain out` },
        effect: goalEffect?.effect ?? null,
        improvement: question?.improvement ?? null,
        seeds: goalEffect?.seeds ?? null,
        episodes: goalEffect?.episodes ?? 0,
      }),
    );
  }
  return { cells, claims };
}

/** The columns of a `comparison` row (same options). */
export function comparisonColumns(heuristics: readonly string[], options: ComparisonOptions = {}) {
  const methods = options.methods ?? ZERO_SHOT_METHODS;
  const headroom = options.headroom === true;
  return [
    ...(headroom ? [{ key: 'bound', label: 'lower bound' }] : []),
    ...heuristics.map((h) => ({ key: h, label: h })),
    ...(headroom ? [{ key: 'hindsight', label: 'best heuristic in hindsight' }] : []),
    ...(options.lookahead === undefined
      ? []
      : [
          { key: 'lookahead', label: `${options.lookahead.policy} (clairvoyant)` },
          { key: 'lookahead-vs-best', label: `${options.lookahead.policy} - best heuristic (paired)` },
        ]),
    ...methods.map((m) => ({ key: m, label: m })),
    ...methods.map((m) => ({ key: `${m}-vs-best`, label: `${m} - best heuristic (paired)` })),
    ...(headroom ? methods.map((m) => ({ key: `${m}-vs-hindsight`, label: `${m} - hindsight (paired)` })) : []),
    ...(options.deferrals === true ? methods.map((m) => ({ key: `${m}-deferrals`, label: `${m} deferrals per episode` })) : []),
  ];
}
