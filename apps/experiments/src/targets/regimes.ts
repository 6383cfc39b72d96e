import { PAPER_REGIME, type Regime, ZERO_SHOT_METHODS } from '../plan.js';
import { type TableContext, comparison, comparisonColumns, protocolNote } from '../results.js';
import type { Claim, Row, Table } from '../table.js';
import { defineTarget } from '../target.js';

/** The regime sweep's heuristics: Table 4's plus best-fit (tightest memory fit, the natural rival under memory pressure). */
export const REGIME_HEURISTICS = ['eft', 'fastest', 'best-fit', 'round-robin', 'random'] as const;
/** Cluster sizes of the regime sweep (and of the real-workflow comparison). */
export const REGIME_NODES = [16, 48] as const;

/**
 * Regimes where a scheduling choice may matter (the paper's may leave nothing to learn, DESIGN.md section 6).
 * Load multiplies `lambda_16 = 1.25`; memory pressure draws memory from Normal(24, 12) clipped to
 * [0.5, 64] GB, so about a quarter of the tasks fit only the large servers (80 GB) and the small
 * servers (8 GB) take few: there `eft`, which fills the large servers first, is no longer the best
 * heuristic (measured: best-fit, round-robin and random beat it); `delays-start` makes children wait
 * for their parents' data.
 */
export const REGIMES: readonly Regime[] = [
  PAPER_REGIME,
  { id: 'load-1.25', label: 'load x1.25 (lambda_16 = 1.5625)', env: { lambda16: 1.5625 } },
  { id: 'load-1.5', label: 'load x1.5 (lambda_16 = 1.875)', env: { lambda16: 1.875 } },
  { id: 'memory', label: 'memory pressure (m ~ Normal(24, 12) in [0.5, 64] GB)', env: { generator: { memory: { mean: 24, sd: 12, min: 0.5, max: 64 } } } },
  { id: 'delays-start', label: 'communication delays start', env: { communication: 'delays-start' } },
];

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

/** The regime sweep: scale and crossattn trained in each regime against five heuristics at N=16 and 48. */
export const regimesTarget = defineTarget({
  id: 'regimes',
  inAll: () => true,
  jobs: (plan) => {
    for (const regime of REGIMES) plan.compare({ regime, methods: ZERO_SHOT_METHODS, heuristics: REGIME_HEURISTICS, nodes: REGIME_NODES });
  },
  tables: (context) => [regimesTable(context)],
});
