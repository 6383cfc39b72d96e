import { UsageError } from '../errors.js';
import { PAPER_REGIME, HEURISTIC_SUITE, ZERO_SHOT_METHODS } from '../plan.js';
import { comparison, comparisonColumns, HEADROOM, protocolNote, QUESTION_MARGIN_FRACTION, type TableContext, VERDICT_NOTE } from '../results.js';
import type { Claim, Row, Table } from '../table.js';
import { defineTarget } from '../target.js';
import { REGIME_NODES } from './regimes.js';

/**
 * Seconds of arrivals of a real-workflow episode. Real workflows are large (hundreds of GFLOP), so at
 * the simulator's default load of 0.75 only a few arrive in the paper's 100 s: 1,000 s brings about 500
 * tasks at N=16 (100 s with --quick).
 */
export const REAL_HORIZON = { full: 1000, quick: 100 } as const;

export function realTable(context: TableContext): Table {
  const rows: Row[] = [];
  const claims: Claim[] = [];
  for (const nodes of REGIME_NODES) {
    const { cells, claims: rowClaims } = comparison(context, 'real', nodes, HEURISTIC_SUITE, `real workflows, N=${nodes}`, HEADROOM);
    rows.push({ label: `N=${nodes}`, source: 'ours', over: 'seeds and episodes', cells });
    claims.push(...rowClaims);
  }
  return {
    id: 'real',
    title: `Real workflows (${context.workload}): mean response time (s)`,
    notes: [
      protocolNote(context),
      `The workflows are replayed from the WfFormat instances (arrival rate set by the simulator's load, 0.75 of the cluster's compute; ${context.budget.quick ? REAL_HORIZON.quick : REAL_HORIZON.full} s of arrivals per episode); scale and crossattn are the Table 4 runs, trained on the paper's random DAGs, zero-shot on real workflows.`,
      `The questions' margin is ${100 * QUESTION_MARGIN_FRACTION}% of the best heuristic's mean response time (ours: a gain below it is too small to count). The best heuristic is the one with the lowest mean in the row, picked on the same episodes the question is tested on (the pick is not part of the bootstrap).`,
      VERDICT_NOTE,
    ],
    columns: comparisonColumns(HEURISTIC_SUITE, HEADROOM),
    rows,
    claims,
  };
}

/** The Table 4 runs and the heuristics on replayed WfCommons workflows (`--workload wfformat:PATH`) at N=16 and 48. */
export const realTarget = defineTarget({
  id: 'real',
  inAll: (workload) => workload !== null,
  jobs: (plan) => {
    const { workload, budget } = plan.options;
    if (workload === null) throw new UsageError('real: needs --workload wfformat:PATH');
    plan.compare({
      regime: PAPER_REGIME,
      methods: ZERO_SHOT_METHODS,
      heuristics: HEURISTIC_SUITE,
      nodes: REGIME_NODES,
      evaluationSet: 'real',
      evaluationEnv: { workload, horizon: budget.quick ? REAL_HORIZON.quick : REAL_HORIZON.full },
    });
  },
  tables: (context) => [realTable(context)],
});
