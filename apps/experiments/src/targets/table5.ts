import type { EvaluationRecord } from '../jobs.js';
import { ZERO_SHOT_METHODS } from '../plan.js';
import { protocolNote, type TableContext, VERDICT_NOTE } from '../results.js';
import { bootstrap, mean } from '../statistics.js';
import { bootstrapClaim, type CellValue, type Claim, paperCell, type Row, type Table } from '../table.js';
import { defineTarget } from '../target.js';
import { planZeroShot, TABLE4_NODES } from './table4.js';

/** Table 5's reported statistics of the attention feature by method and N (DESIGN.md section 6). */
export const TABLE5_PAPER = {
  covOffDiagonal: { scale: { 16: 0.037, 32: 0.036, 48: 0.044 }, crossattn: { 16: 0.274, 32: 0.103, 48: 0.09 } },
  kl: { scale: { 16: 0.516, 32: 0.637, 48: 0.623 }, crossattn: { 16: 0.378, 32: 0.498, 48: 0.484 } },
} as Record<'covOffDiagonal' | 'kl', Record<string, Record<number, number>>>;

type FeatureStatistic = 'covOffDiagonal' | 'meanAbsCorrelation' | 'effectiveRank' | 'kl';

/** The statistics' row names: the paper's two, and the two that tell decorrelation from a collapse of the variance. */
const STATISTICS: readonly { readonly key: FeatureStatistic; readonly name: string }[] = [
  { key: 'covOffDiagonal', name: 'Cov Off-Diag' },
  { key: 'meanAbsCorrelation', name: 'mean |corr| off-diag' },
  { key: 'effectiveRank', name: 'effective rank' },
  { key: 'kl', name: 'KL' },
];

/** A statistic of one evaluation's features: NaN when not gathered, undefined when the file predates the statistic. */
function statisticOf(record: EvaluationRecord, key: FeatureStatistic): number | undefined {
  if (record.features === null) return Number.NaN;
  return record.features[key];
}

/** The per-seed values of a statistic, bootstrapped over seeds; `not recorded` when a finished evaluation lacks it. */
function featureCell(records: readonly (EvaluationRecord | undefined)[], key: FeatureStatistic): CellValue {
  const finished = records.filter((r) => r !== undefined);
  if (finished.length === 0) return 'pending';
  const values = finished.map((r) => statisticOf(r, key));
  if (values.some((v) => v === undefined)) return { mean: Number.NaN, ci95: null, n: 0, note: 'not recorded' };
  const rows = (values as number[]).filter(Number.isFinite).map((v) => [v]);
  if (rows.length === 0) return 'pending';
  const estimate = bootstrap([rows], (r) => mean((r[0] ?? []).map((row) => row[0] as number)));
  return { mean: estimate.value, ci95: null, n: rows.length, low: estimate.low, high: estimate.high, seeds: rows.length, over: 'seeds' };
}

export function table5(context: TableContext): Table {
  const { store, seeds } = context;
  const columns = TABLE4_NODES.map((n) => ({ key: String(n), label: `N=${n}` }));
  const rows: Row[] = [];
  for (const { key, name } of STATISTICS) {
    for (const method of ZERO_SHOT_METHODS) {
      rows.push({
        label: `${name}: ${method}`,
        source: 'ours',
        over: 'seeds',
        cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), featureCell(store.learned('paper', method, seeds, n), key)])),
      });
      if (key === 'covOffDiagonal' || key === 'kl') {
        rows.push({ label: `${name}: ${method}`, source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(TABLE5_PAPER[key][method]?.[n])])) });
      }
    }
  }
  const claims: Claim[] = [16, 32, 48].map((n) => {
    const scale = store.learned('paper', 'scale', seeds, n);
    const crossattn = store.learned('paper', 'crossattn', seeds, n);
    const paper = (TABLE5_PAPER.covOffDiagonal.crossattn?.[n] as number) - (TABLE5_PAPER.covOffDiagonal.scale?.[n] as number);
    const pairs = scale.flatMap((r, k) => {
      const c = crossattn[k];
      if (r === undefined || c === undefined) return [];
      const difference = (statisticOf(c, 'covOffDiagonal') ?? Number.NaN) - (statisticOf(r, 'covOffDiagonal') ?? Number.NaN);
      return Number.isFinite(difference) ? [[difference]] : [];
    });
    const effect = pairs.length === 0 ? null : bootstrap([pairs], (r) => mean((r[0] ?? []).map((row) => row[0] as number)));
    return bootstrapClaim({
      claim: `SRR decorrelates the attention feature at N=${n}`,
      test: `Cov Off-Diag of crossattn minus scale at N=${n}, paired by seed (one value per seed, over every decision of its episodes); > 0`,
      kind: 'paper',
      paper,
      margin: { value: paper, source: 'paper', description: "the paper's difference" },
      effect,
      improvement: null,
      seeds: effect === null ? null : pairs.length,
      episodes: null,
    });
  });
  return {
    id: 'table5',
    title: 'Table 5: statistics of the attention feature h over the evaluation episodes',
    notes: [
      protocolNote(context),
      "The features are those of every decision (every observation the greedy policy acted on) over the evaluation episodes at each N; each seed gives one value of each statistic, and the intervals are a bootstrap over seeds. Cov Off-Diag = mean |Sigma_kl| over k != l; KL = mean over dimensions of KL(N(mu_k, sigma_k^2) || N(0, 1)) (DESIGN.md section 5). Cov Off-Diag shrinks with the feature's variance, so it cannot tell decorrelation from a collapse; mean |corr| off-diag (|Sigma_kl| / (sigma_k sigma_l), k != l) and the effective rank (exp of the entropy of Sigma's normalized eigenvalues, Roy and Vetterli 2007; 1 to d = 16) do not change with the scale. They read `not recorded` for evaluations written before they were gathered.",
      VERDICT_NOTE,
    ],
    columns,
    rows,
    claims,
  };
}

/** Table 5: Cov Off-Diag and KL of the attention feature (the paper's), mean |correlation| and effective rank (ours), from Table 4's evaluations. */
export const table5Target = defineTarget({
  id: 'table5',
  inAll: () => true,
  jobs: planZeroShot,
  tables: (context) => [table5(context)],
});
