import { PAPER_REGIME, HEURISTIC_SUITE, ZERO_SHOT_METHODS } from '../plan.js';
import { comparison, comparisonColumns, HEADROOM, protocolNote, QUESTION_MARGIN_FRACTION, type TableContext, VERDICT_NOTE } from '../results.js';
import type { Table } from '../table.js';
import { defineTarget } from '../target.js';

/** The elastic comparison: N=48, each server fails after an exponential time (mean `mtbf` s) and rejoins after `mttr` s on average. */
export const ELASTIC = { nodes: 48, failures: { mtbf: 60, mttr: 5 } } as const;

export function elasticTable(context: TableContext): Table {
  const nodes = ELASTIC.nodes;
  const statik = comparison(context, 'paper', nodes, HEURISTIC_SUITE, `static, N=${nodes}`, HEADROOM);
  const elastic = comparison(context, 'elastic', nodes, HEURISTIC_SUITE, `servers failing and rejoining, N=${nodes}`, HEADROOM);
  return {
    id: 'elastic',
    title: `Elastic cluster at N=${nodes}: mean response time (s) with servers failing and rejoining`,
    notes: [
      protocolNote(context),
      `Each server fails after an exponential time with mean ${ELASTIC.failures.mtbf} s and rejoins after one with mean ${ELASTIC.failures.mttr} s (seeded per episode); a failure interrupts the running primitive, which returns to the ready set. The policies see only the servers that are up. scale and crossattn are the Table 4 runs (trained at N=16 on a static cluster), zero-shot here.`,
      `The questions' margin is ${100 * QUESTION_MARGIN_FRACTION}% of the best heuristic's mean response time (ours: a gain below it is too small to count). The best heuristic is the one with the lowest mean in the row, picked on the same episodes the question is tested on (the pick is not part of the bootstrap).`,
      VERDICT_NOTE,
    ],
    columns: comparisonColumns(HEURISTIC_SUITE, HEADROOM),
    rows: [
      { label: `static, N=${nodes}`, source: 'ours', over: 'seeds and episodes', cells: statik.cells },
      { label: `failing and rejoining, N=${nodes}`, source: 'ours', over: 'seeds and episodes', cells: elastic.cells },
    ],
    claims: [...statik.claims, ...elastic.claims],
  };
}

/** The Table 4 runs at N=48 on a static cluster and on one whose servers fail and rejoin. */
export const elasticTarget = defineTarget({
  id: 'elastic',
  inAll: () => true,
  jobs: (plan) => {
    const common = { regime: PAPER_REGIME, methods: ZERO_SHOT_METHODS, heuristics: HEURISTIC_SUITE, nodes: [ELASTIC.nodes] };
    plan.compare(common);
    plan.compare({ ...common, evaluationSet: 'elastic', evaluationEnv: { failures: ELASTIC.failures } });
  },
  tables: (context) => [elasticTable(context)],
});
