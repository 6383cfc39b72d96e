import { CONFIRMATION_SEED_BASE, HEURISTIC_SUITE, type JobPlan, PAPER_REGIME, type Regime } from '../plan.js';
import { comparisonColumns, type ComparisonOptions, protocolNote, QUESTION_MARGIN_FRACTION, type TableContext, VERDICT_NOTE } from '../results.js';
import type { Table } from '../table.js';
import { defineTarget } from '../target.js';
import { GOAL_FRACTION, LOOKAHEAD, nodesOf as beyondNodesOf, rowsFor, type SrrPair } from './beyond.js';
import { exploreRegime, OBJECTIVE_INVALID_ACTION } from './explore.js';

/**
 * SCALE's and CrossAttn's networks in the objective-reward methods' observation and action space,
 * trained by DAgger to imitate the clairvoyant one-step rollout (`@scale/agents` presets).
 */
export const IMITATION_METHODS = ['scale-il', 'crossattn-il'] as const;

const IMITATION_SRR: SrrPair = { methods: [IMITATION_METHODS[0], IMITATION_METHODS[1]], what: 'the imitation method' };

/**
 * The paper regime, and the large tier 8x the small: the one setting where `beyond`'s clairvoyant
 * rollout column reaches the goal's 10% over the best heuristic. Chosen after seeing that column, and
 * after an informal one-seed DAgger probe in the 8x setting (on evaluation seeds 3,000,000 + e, which
 * no table uses).
 */
export const IMITATION_REGIMES: readonly Regime[] = [PAPER_REGIME, exploreRegime('speed-8x')];
/**
 * `beyond`'s sizes for the regime (the paper regime's up to 1,024, the 8x setting's 16 and 48; the
 * sizes above 48 added after the first two seeds' rows at N = 16 and 48 had been seen); `--quick`:
 * 16 only (a DAgger run's labels cost ~10 ms each).
 */
function nodesOf(budget: { quick: boolean }, r: Regime): readonly number[] {
  return budget.quick ? [16] : beyondNodesOf({ budget }, r);
}

/** The evaluation set: `beyond`'s own for the regime (same env, same fresh seeds), so the heuristics, the bound and the rollout are shared. */
function setOf(r: Regime): string {
  return `beyond-${r.id}`;
}

const OPTIONS: ComparisonOptions = { methods: IMITATION_METHODS, headroom: true, deferrals: true, goalFraction: GOAL_FRACTION, lookahead: LOOKAHEAD };

export function imitationTable(context: TableContext): Table {
  const { rows, claims } = rowsFor(
    context,
    IMITATION_REGIMES.flatMap((r) => nodesOf(context.budget, r).map((nodes) => ({ set: setOf(r), nodes, label: `${r.label}, N=${nodes}${nodes === 16 ? '' : ' (zero-shot)'}` }))),
    OPTIONS,
    IMITATION_SRR,
  );
  return {
    id: 'imitation',
    title: 'Imitating the clairvoyant rollout: DAgger-trained policies against the heuristic suite, the rollout and the bound, mean response time (s)',
    notes: [
      protocolNote(context, 'confirmation'),
      `CONFIRMATION PHASE (no exploration phase of its own; see the regimes' note). scale-il and crossattn-il are the networks of scale-rt and crossattn-rt (cross-attention, SRR on and off; queue-aware features, 4 candidate tasks on any server, and defer; invalid actions masked) trained at N=16 by DAgger (Ross et al., 2011) to imitate "${LOOKAHEAD.policy} (clairvoyant)": at every state the learner's own policy reaches, the rollout expert tries each candidate task on each server class, and waiting, on copies of the episode finished by sjf, eft and mct, and every action as good as the best is a correct answer (set cross-entropy). The expert sees the episode's future; the learner sees only the observation, so it can schedule online. The reward is not used. Read out greedily. They run on \`beyond\`'s evaluation sets (the same episodes, heuristics, bound and rollout column), at N=16 and zero-shot at 48, and in the paper regime also at 32, 256 and 1,024 (as \`beyond\`); those three sizes were added after the first two seeds' rows at N=16 and 48 had been seen.`,
      `Regimes: the paper's, and the large tier 8x the small, the one setting where the rollout reaches the goal's ${100 * GOAL_FRACTION}% over the best heuristic; both chosen after seeing \`beyond\`'s rollout column, and after an informal one-seed DAgger probe in the 8x setting on other evaluation seeds.`,
      `Two questions per method and row: "beats the best heuristic" (margin ${100 * QUESTION_MARGIN_FRACTION}% of its mean) and "at least ${100 * GOAL_FRACTION}% faster than the best heuristic" (the goal); and per row, whether SRR lowers the response time (scale-il against crossattn-il). The best heuristic is the one with the lowest mean in the row, picked on the same episodes (the pick is not part of the bootstrap).`,
      VERDICT_NOTE,
    ],
    columns: comparisonColumns(HEURISTIC_SUITE, OPTIONS),
    rows,
    claims,
  };
}

function planImitation(plan: JobPlan): void {
  const { budget } = plan.options;
  for (const r of IMITATION_REGIMES) {
    plan.compare({ regime: r, methods: IMITATION_METHODS, heuristics: HEURISTIC_SUITE, nodes: nodesOf(budget, r), evaluationSet: setOf(r), seedBase: CONFIRMATION_SEED_BASE, invalidAction: OBJECTIVE_INVALID_ACTION, lookahead: LOOKAHEAD });
  }
}

/**
 * What a learned policy can take from an expert that sees the future: DAgger imitating the clairvoyant
 * rollout, against the heuristic suite, the rollout itself and the bound, at N = 16 and zero-shot at 48.
 */
export const imitationTarget = defineTarget({
  id: 'imitation',
  inAll: () => true,
  jobs: planImitation,
  tables: (context) => [imitationTable(context)],
});
