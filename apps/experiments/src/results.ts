import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvaluationRecord } from './jobs.js';
import {
  type Budget,
  ELASTIC,
  type EvaluatedPolicy,
  evaluationFile,
  type Job,
  PAPER_METHODS,
  policyKey,
  REGIME_HEURISTICS,
  REGIME_NODES,
  REAL_HORIZON,
  REGIMES,
  TABLE4_HEURISTICS,
  TABLE4_NODES,
  ZERO_SHOT_METHODS,
} from './plan.js';
import { type CellValue, type Claim, cellOf, directionalClaim, paperCell, type Row, type Table } from './table.js';

/** The paper's reported values (DESIGN.md section 6). Printed beside ours, labelled; never used as outputs. */
export const PAPER = {
  table3: {
    completedTasks: { scale: 8.37, crossattn: 8.1, ppo: 4.03, 'ppo-srr': 4.3, dqn: 4, sac: 5.93 } as Record<string, number>,
    responseTime: { scale: 4.58, crossattn: 4.65, dqn: 4.88 } as Record<string, number>,
  },
  table4: { scale: { 16: 4.58, 32: 5.57, 48: 6.22 }, crossattn: { 16: 4.65, 32: 5.7, 48: 6.83 } } as Record<string, Record<number, number>>,
  table5: {
    covOffDiagonal: { scale: { 16: 0.037, 32: 0.036, 48: 0.044 }, crossattn: { 16: 0.274, 32: 0.103, 48: 0.09 } },
    kl: { scale: { 16: 0.516, 32: 0.637, 48: 0.623 }, crossattn: { 16: 0.378, 32: 0.498, 48: 0.484 } },
  } as Record<'covOffDiagonal' | 'kl', Record<string, Record<number, number>>>,
} as const;

/** SRR's relative reduction of the response time, (crossattn - scale) / crossattn, in percent. */
function reductionPercent(scale: number, crossattn: number): number {
  return (100 * (crossattn - scale)) / crossattn;
}

const PAPER_REDUCTION = Object.fromEntries([16, 32, 48].map((n) => [n, reductionPercent(PAPER.table4.scale?.[n] as number, PAPER.table4.crossattn?.[n] as number)])) as Record<number, number>;

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

type Metric = 'meanResponseTime' | 'completedTasks' | 'p95ResponseTime';

/** A learned method's cell: the mean over seeds of each seed's mean over the episodes, CI over seeds. */
function learnedCell(records: readonly (EvaluationRecord | undefined)[], metric: Metric): CellValue {
  return cellOf(records.map((r) => r?.summary[metric].mean ?? Number.NaN));
}

/** A heuristic's cell: mean over the evaluation episodes, CI over episodes. */
function heuristicCell(record: EvaluationRecord | undefined, metric: Metric): CellValue {
  if (record === undefined) return 'pending';
  const s = record.summary[metric];
  return { mean: s.mean, ci95: Number.isFinite(s.ci95) ? s.ci95 : null, n: s.n };
}

function perSeed(records: readonly (EvaluationRecord | undefined)[], value: (r: EvaluationRecord) => number): number[] {
  return records.map((r) => (r === undefined ? Number.NaN : value(r)));
}

export interface TableContext {
  readonly store: ResultStore;
  readonly seeds: readonly number[];
  readonly budget: Budget;
}

function protocolNote(context: TableContext): string {
  const b = context.budget;
  return (
    `Ours: ${b.epochs} training epochs per run at N=16, training seeds ${context.seeds.join(', ')}; evaluation on drained episodes with fixed seeds ` +
    `(1,000,000 + e), greedy actions, ${b.episodes} episodes per N up to 256 and ${b.largeEpisodes} above` +
    `${b.horizon === null ? '' : `, ${b.horizon} s of arrivals per episode`}${b.quick ? ' (--quick: tiny budgets, the numbers are not findings)' : ''}. ` +
    'A learned row is the mean over seeds of each seed\'s mean over the episodes, ± the half-width of the 95% Student-t CI over seeds; ' +
    "a heuristic row's CI is over episodes. Rows marked (paper's) are the paper's reported values, for comparison only."
  );
}

export function table3(context: TableContext): Table {
  const rows: Row[] = [];
  for (const method of PAPER_METHODS) {
    const records = context.store.learned('paper', method, context.seeds, 16);
    rows.push({ label: method, source: 'ours', over: 'seeds', cells: { completed: learnedCell(records, 'completedTasks'), response: learnedCell(records, 'meanResponseTime') } });
    rows.push({
      label: method,
      source: 'paper',
      over: '',
      cells: { completed: paperCell(PAPER.table3.completedTasks[method]), response: paperCell(PAPER.table3.responseTime[method]) },
    });
  }
  for (const heuristic of TABLE4_HEURISTICS) {
    const record = context.store.get('paper', heuristic, 16);
    rows.push({ label: `${heuristic} (heuristic)`, source: 'ours', over: 'episodes', cells: { completed: heuristicCell(record, 'completedTasks'), response: heuristicCell(record, 'meanResponseTime') } });
  }
  const scale = context.store.learned('paper', 'scale', context.seeds, 16);
  const others = PAPER_METHODS.filter((m) => m !== 'scale').map((m) => ({ method: m, records: context.store.learned('paper', m, context.seeds, 16) }));
  const meanOf = (records: readonly (EvaluationRecord | undefined)[]) => {
    const values = records.filter((r) => r !== undefined).map((r) => r.summary.meanResponseTime.mean);
    return values.length === 0 ? Number.POSITIVE_INFINITY : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const best = others.reduce((a, b) => (meanOf(b.records) < meanOf(a.records) ? b : a));
  const claims: Claim[] = [
    directionalClaim(
      'SCALE has the lowest response time of the six methods at N=16',
      `response time of the best other method by mean (${best.method}) minus SCALE's, s, per training seed; > 0`,
      (PAPER.table3.responseTime.crossattn as number) - (PAPER.table3.responseTime.scale as number),
      scale.map((r, k) => {
        const other = best.records[k];
        return r === undefined || other === undefined ? Number.NaN : other.summary.meanResponseTime.mean - r.summary.meanResponseTime.mean;
      }),
    ),
  ];
  return {
    id: 'table3',
    title: 'Table 3: the six methods at N=16',
    notes: [
      protocolNote(context),
      "Completed tasks per episode: the paper's about 8 cannot be an episode of this workload (about 700 tasks arrive in 100 s at N=16) and its episode definition is lost from its text (DESIGN.md section 6). Ours counts the tasks a drained episode completes, which is every arrived task unless an episode hits the drain limit, so it is equal across policies by construction; the response time is the comparison.",
      "The paper's claim compared here (SCALE best) uses CrossAttn, the paper's runner-up, for the paper's value.",
    ],
    columns: [
      { key: 'completed', label: 'completed tasks / episode' },
      { key: 'response', label: 'mean response time (s)' },
    ],
    rows,
    claims,
  };
}

export function table4(context: TableContext): Table {
  const { store, seeds } = context;
  const columns = TABLE4_NODES.map((n) => ({ key: String(n), label: `N=${n}` }));
  const rows: Row[] = [];
  for (const method of ZERO_SHOT_METHODS) {
    rows.push({ label: method, source: 'ours', over: 'seeds', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), learnedCell(store.learned('paper', method, seeds, n), 'meanResponseTime')])) });
    rows.push({ label: method, source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(PAPER.table4[method]?.[n])])) });
  }
  for (const heuristic of TABLE4_HEURISTICS) {
    rows.push({ label: `${heuristic} (heuristic)`, source: 'ours', over: 'episodes', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), heuristicCell(store.get('paper', heuristic, n), 'meanResponseTime')])) });
  }
  const reduction = (n: number) => {
    const scale = store.learned('paper', 'scale', seeds, n);
    const crossattn = store.learned('paper', 'crossattn', seeds, n);
    return scale.map((r, k) => {
      const c = crossattn[k];
      return r === undefined || c === undefined ? Number.NaN : reductionPercent(r.summary.meanResponseTime.mean, c.summary.meanResponseTime.mean);
    });
  };
  rows.push({ label: 'SRR reduction, % ((crossattn - scale) / crossattn)', source: 'ours', over: 'seeds', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), cellOf(reduction(n))])) });
  rows.push({ label: 'SRR reduction, %', source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(PAPER_REDUCTION[n])])) });
  const r16 = reduction(16);
  const r48 = reduction(48);
  return {
    id: 'table4',
    title: 'Table 4: mean response time (s), trained at N=16, zero-shot at larger N',
    notes: [protocolNote(context), 'Tests are across training seeds; a seed pairs scale and crossattn runs that share the seed (same initial streams and training episodes).'],
    columns,
    rows,
    claims: [
      directionalClaim('SRR lowers the response time at N=48', 'relative reduction (crossattn - scale) / crossattn at N=48, %, per seed; > 0', PAPER_REDUCTION[48] as number, r48),
      directionalClaim(
        'the gap grows with N',
        'reduction at N=48 minus reduction at N=16, percentage points, per seed; > 0',
        (PAPER_REDUCTION[48] as number) - (PAPER_REDUCTION[16] as number),
        r48.map((x, k) => x - (r16[k] as number)),
      ),
    ],
  };
}

export function table5(context: TableContext): Table {
  const { store, seeds } = context;
  const columns = TABLE4_NODES.map((n) => ({ key: String(n), label: `N=${n}` }));
  const statistic = (r: EvaluationRecord, which: 'covOffDiagonal' | 'kl') => r.features?.[which] ?? Number.NaN;
  const rows: Row[] = [];
  for (const which of ['covOffDiagonal', 'kl'] as const) {
    const name = which === 'kl' ? 'KL' : 'Cov Off-Diag';
    for (const method of ZERO_SHOT_METHODS) {
      rows.push({
        label: `${name}: ${method}`,
        source: 'ours',
        over: 'seeds',
        cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), cellOf(perSeed(store.learned('paper', method, seeds, n), (r) => statistic(r, which)))])),
      });
      rows.push({ label: `${name}: ${method}`, source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(PAPER.table5[which][method]?.[n])])) });
    }
  }
  const claims = [16, 32, 48].map((n) => {
    const scale = store.learned('paper', 'scale', seeds, n);
    const crossattn = store.learned('paper', 'crossattn', seeds, n);
    const paper = (PAPER.table5.covOffDiagonal.crossattn?.[n] as number) - (PAPER.table5.covOffDiagonal.scale?.[n] as number);
    return directionalClaim(
      `SRR decorrelates the attention feature at N=${n}`,
      `Cov Off-Diag of crossattn minus scale at N=${n}, per seed; > 0`,
      paper,
      scale.map((r, k) => {
        const c = crossattn[k];
        return r === undefined || c === undefined ? Number.NaN : statistic(c, 'covOffDiagonal') - statistic(r, 'covOffDiagonal');
      }),
    );
  });
  return {
    id: 'table5',
    title: 'Table 5: statistics of the attention feature h over the evaluation episodes',
    notes: [
      protocolNote(context),
      'The features are those of every decision (every observation the greedy policy acted on) over the evaluation episodes at each N. Cov Off-Diag = mean |Sigma_kl| over k != l; KL = mean over dimensions of KL(N(mu_k, sigma_k^2) || N(0, 1)) (DESIGN.md section 5).',
    ],
    columns,
    rows,
    claims,
  };
}

/** Learned minus the best heuristic (by mean) on the same episodes, per seed (s; < 0: the learned policy is faster). */
function versusBest(store: ResultStore, set: string, method: string, seeds: readonly number[], nodes: number, heuristics: readonly string[]) {
  const candidates = heuristics.map((h) => ({ name: h, record: store.get(set, h, nodes) })).filter((c) => c.record !== undefined);
  if (candidates.length < heuristics.length) return { best: null, differences: seeds.map(() => Number.NaN) };
  const best = candidates.reduce((a, b) => ((b.record as EvaluationRecord).summary.meanResponseTime.mean < (a.record as EvaluationRecord).summary.meanResponseTime.mean ? b : a));
  const bestMean = (best.record as EvaluationRecord).summary.meanResponseTime.mean;
  return { best: best.name, differences: store.learned(set, method, seeds, nodes).map((r) => (r === undefined ? Number.NaN : r.summary.meanResponseTime.mean - bestMean)) };
}

/** Rows of heuristics and learned methods on one evaluation set, and the claim rows "method beats the best heuristic". */
function comparison(context: TableContext, set: string, nodes: number, heuristics: readonly string[], labelSuffix: string): { cells: Record<string, CellValue>; claims: Claim[] } {
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

function comparisonColumns(heuristics: readonly string[]) {
  return [
    ...heuristics.map((h) => ({ key: h, label: h })),
    ...ZERO_SHOT_METHODS.map((m) => ({ key: m, label: m })),
    ...ZERO_SHOT_METHODS.map((m) => ({ key: `${m}-vs-best`, label: `${m} - best heuristic` })),
  ];
}

export function regimesTable(context: TableContext): Table {
  const rows: Row[] = [];
  const claims: Claim[] = [];
  for (const regime of REGIMES) {
    for (const nodes of REGIME_NODES) {
      const { cells, claims: rowClaims } = comparison(context, regime.id, nodes, REGIME_HEURISTICS, `${regime.label}, N=${nodes}`);
      rows.push({ label: `${regime.label}, N=${nodes}`, source: 'ours', over: 'seeds', cells });
      claims.push(...rowClaims);
    }
  }
  return {
    id: 'regimes',
    title: 'Regimes where a choice may matter: mean response time (s)',
    notes: [
      protocolNote(context),
      "Each regime trains scale and crossattn at N=16 in that regime and evaluates them and the heuristics at N=16 and 48 on the regime's episodes. `- best heuristic` is the learned response time minus that of the heuristic with the lowest mean in the row (negative: the learned policy is faster), CI over seeds. The questions below ask whether a learned policy beats the best heuristic.",
    ],
    columns: comparisonColumns(REGIME_HEURISTICS),
    rows,
    claims,
  };
}

export function elasticTable(context: TableContext): Table {
  const nodes = ELASTIC.nodes;
  const statik = comparison(context, 'paper', nodes, TABLE4_HEURISTICS, `static, N=${nodes}`);
  const elastic = comparison(context, 'elastic', nodes, TABLE4_HEURISTICS, `servers failing and rejoining, N=${nodes}`);
  return {
    id: 'elastic',
    title: `Elastic cluster at N=${nodes}: mean response time (s) with servers failing and rejoining`,
    notes: [
      protocolNote(context),
      `Each server fails after an exponential time with mean ${ELASTIC.failures.mtbf} s and rejoins after one with mean ${ELASTIC.failures.mttr} s (seeded per episode); a failure interrupts the running primitive, which returns to the ready set. The policies see only the servers that are up. scale and crossattn are the Table 4 runs (trained at N=16 on a static cluster), zero-shot here.`,
    ],
    columns: comparisonColumns(TABLE4_HEURISTICS),
    rows: [
      { label: `static, N=${nodes}`, source: 'ours', over: 'seeds', cells: statik.cells },
      { label: `failing and rejoining, N=${nodes}`, source: 'ours', over: 'seeds', cells: elastic.cells },
    ],
    claims: [...statik.claims, ...elastic.claims],
  };
}

export function realTable(context: TableContext, workload: string): Table {
  const rows: Row[] = [];
  const claims: Claim[] = [];
  for (const nodes of REGIME_NODES) {
    const { cells, claims: rowClaims } = comparison(context, 'real', nodes, TABLE4_HEURISTICS, `real workflows, N=${nodes}`);
    rows.push({ label: `N=${nodes}`, source: 'ours', over: 'seeds', cells });
    claims.push(...rowClaims);
  }
  return {
    id: 'real',
    title: `Real workflows (${workload}): mean response time (s)`,
    notes: [
      protocolNote(context),
      `The workflows are replayed from the WfFormat instances (arrival rate set by the simulator's load, 0.75 of the cluster's compute; ${context.budget.quick ? REAL_HORIZON.quick : REAL_HORIZON.full} s of arrivals per episode); scale and crossattn are the Table 4 runs, trained on the paper's random DAGs, zero-shot on real workflows.`,
    ],
    columns: comparisonColumns(TABLE4_HEURISTICS),
    rows,
    claims,
  };
}
