import type { EvaluationRecord } from '../jobs.js';
import { ZERO_SHOT_METHODS } from '../plan.js';
import { perSeed, protocolNote, type TableContext } from '../results.js';
import { cellOf, directionalClaim, paperCell, type Row, type Table } from '../table.js';
import { defineTarget } from '../target.js';
import { planZeroShot, TABLE4_NODES } from './table4.js';

/** Table 5's reported statistics of the attention feature by method and N (DESIGN.md section 6). */
export const TABLE5_PAPER = {
  covOffDiagonal: { scale: { 16: 0.037, 32: 0.036, 48: 0.044 }, crossattn: { 16: 0.274, 32: 0.103, 48: 0.09 } },
  kl: { scale: { 16: 0.516, 32: 0.637, 48: 0.623 }, crossattn: { 16: 0.378, 32: 0.498, 48: 0.484 } },
} as Record<'covOffDiagonal' | 'kl', Record<string, Record<number, number>>>;

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
      rows.push({ label: `${name}: ${method}`, source: 'paper', over: '', cells: Object.fromEntries(TABLE4_NODES.map((n) => [String(n), paperCell(TABLE5_PAPER[which][method]?.[n])])) });
    }
  }
  const claims = [16, 32, 48].map((n) => {
    const scale = store.learned('paper', 'scale', seeds, n);
    const crossattn = store.learned('paper', 'crossattn', seeds, n);
    const paper = (TABLE5_PAPER.covOffDiagonal.crossattn?.[n] as number) - (TABLE5_PAPER.covOffDiagonal.scale?.[n] as number);
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

/** Table 5: Cov Off-Diag and KL of the attention feature, from Table 4's evaluations. */
export const table5Target = defineTarget({
  id: 'table5',
  inAll: () => true,
  jobs: planZeroShot,
  tables: (context) => [table5(context)],
});
