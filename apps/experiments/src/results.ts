import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvaluationRecord } from './jobs.js';
import { type Budget, type EvaluatedPolicy, evaluationFile, type Job, policyKey, ZERO_SHOT_METHODS } from './plan.js';
import { type CellValue, type Claim, cellOf, directionalClaim } from './table.js';

/** JSON writes NaN as null: read the statistics' nulls back as NaN, so that no null is taken for 0 in arithmetic. */
const NUMERIC_FIELDS = new Set(['mean', 'std', 'ci95', 'meanResponseTime', 'p95ResponseTime', 'utilization', 'covOffDiagonal', 'kl']);
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

/** A learned method's cell: the mean over seeds of each seed's mean over the episodes, CI over seeds. */
export function learnedCell(records: readonly (EvaluationRecord | undefined)[], metric: Metric): CellValue {
  return cellOf(records.map((r) => r?.summary[metric].mean ?? Number.NaN));
}

/** A heuristic's cell: mean over the evaluation episodes, CI over episodes. */
export function heuristicCell(record: EvaluationRecord | undefined, metric: Metric): CellValue {
  if (record === undefined) return 'pending';
  const s = record.summary[metric];
  return { mean: s.mean, ci95: Number.isFinite(s.ci95) ? s.ci95 : null, n: s.n };
}

/** One value per seed (NaN while pending). */
export function perSeed(records: readonly (EvaluationRecord | undefined)[], value: (r: EvaluationRecord) => number): number[] {
  return records.map((r) => (r === undefined ? Number.NaN : value(r)));
}

/** The first note of every table: how the numbers were made. */
export function protocolNote(context: TableContext): string {
  const b = context.budget;
  return (
    `Ours: ${b.epochs} training epochs per run at N=16, training seeds ${context.seeds.join(', ')}; evaluation on drained episodes with fixed seeds ` +
    `(1,000,000 + e), greedy actions, ${b.episodes} episodes per N up to 256 and ${b.largeEpisodes} above` +
    `${b.horizon === null ? '' : `, ${b.horizon} s of arrivals per episode`}${b.quick ? ' (--quick: tiny budgets, the numbers are not findings)' : ''}. ` +
    'A learned row is the mean over seeds of each seed\'s mean over the episodes, ± the half-width of the 95% Student-t CI over seeds; ' +
    "a heuristic row's CI is over episodes. Rows marked (paper's) are the paper's reported values, for comparison only."
  );
}

/** Learned minus the best heuristic (by mean) on the same episodes, per seed (s; < 0: the learned policy is faster). */
function versusBest(store: ResultStore, set: string, method: string, seeds: readonly number[], nodes: number, heuristics: readonly string[]) {
  const candidates = heuristics.map((h) => ({ name: h, record: store.get(set, h, nodes) })).filter((c) => c.record !== undefined);
  if (candidates.length < heuristics.length) return { best: null, differences: seeds.map(() => Number.NaN) };
  const best = candidates.reduce((a, b) => ((b.record as EvaluationRecord).summary.meanResponseTime.mean < (a.record as EvaluationRecord).summary.meanResponseTime.mean ? b : a));
  const bestMean = (best.record as EvaluationRecord).summary.meanResponseTime.mean;
  return { best: best.name, differences: store.learned(set, method, seeds, nodes).map((r) => (r === undefined ? Number.NaN : r.summary.meanResponseTime.mean - bestMean)) };
}

/** Cells of heuristics and learned methods on one evaluation set, and the claims "method beats the best heuristic". */
export function comparison(context: TableContext, set: string, nodes: number, heuristics: readonly string[], labelSuffix: string): { cells: Record<string, CellValue>; claims: Claim[] } {
  const { store, seeds } = context;
  const cells: Record<string, CellValue> = {};
  for (const h of heuristics) cells[h] = heuristicCell(store.get(set, h, nodes), 'meanResponseTime');
  const claims: Claim[] = [];
  for (const method of ZERO_SHOT_METHODS) {
    cells[method] = learnedCell(store.learned(set, method, seeds, nodes), 'meanResponseTime');
    const { best, differences } = versusBest(store, set, method, seeds, nodes, heuristics);
    cells[`${method}-vs-best`] = cellOf(differences);
    claims.push(
      directionalClaim(
        `${method} beats the best heuristic${best === null ? '' : ` (${best})`}, ${labelSuffix}`,
        'best heuristic minus learned mean response time, s, per seed (same episodes); > 0',
        null,
        differences.map((d) => -d),
        true,
      ),
    );
  }
  return { cells, claims };
}

/** The columns of a `comparison` row. */
export function comparisonColumns(heuristics: readonly string[]) {
  return [
    ...heuristics.map((h) => ({ key: h, label: h })),
    ...ZERO_SHOT_METHODS.map((m) => ({ key: m, label: m })),
    ...ZERO_SHOT_METHODS.map((m) => ({ key: `${m}-vs-best`, label: `${m} - best heuristic` })),
  ];
}
