/**
 * What the task-and-server action space's candidate cap costs the best heuristic's own lever (a
 * diagnosis, not a table). The learned methods choose among the first `cap` ready tasks (that some
 * idle server can hold) in level-1 order; shortest-task-first, the best heuristic in most regimes,
 * chooses among all of them. Here both rules start the chosen task on its fastest valid idle server,
 * so the only difference is the cap:
 *
 * - `shortest of all`: the ready task with the least compute, as `sjf` orders them;
 * - `shortest of the first K`: the same among the first K candidates the learned methods see;
 * - `level-1 task`: the first candidate (K = 1), the paper's action space.
 *
 * Drained N = 16 episodes on the evaluation seeds (1,000,000 + e), as every table. Prints one JSON line
 * per (regime, rule): mean response time over the episodes, and the share of decisions at which the
 * shortest ready task was not among the first K candidates.
 *
 *   pnpm --filter @scale/experiments exec tsx scripts/candidate-reach.ts [episodes] [K]
 */
import { createSimulation, DEFER, type Decision, type Policy, runEpisode, SimConfigSchema, type SimConfigInput, type SimulationView } from '@scale/sim';
import { EVALUATION_SEED_BASE } from '../src/evaluate.js';
import { REGIMES } from '../src/targets/regimes.js';

const episodes = Number(process.argv[2] ?? '30');
const cap = Number(process.argv[3] ?? '4');
if (!Number.isInteger(episodes) || episodes < 1 || !Number.isInteger(cap) || cap < 1) {
  process.stderr.write('usage: candidate-reach.ts [episodes >= 1] [K >= 1]\n');
  process.exit(2);
}

/** The fastest idle up server that can hold `task` (lowest id on ties). */
function fastestValidServer(sim: SimulationView, task: number): number {
  let best = -1;
  for (let j = 0; j < sim.serverCount; j++) {
    if (!sim.isValidFor(task, j)) continue;
    if (best < 0 || sim.serverCompute(j) > sim.serverCompute(best)) best = j;
  }
  return best;
}

/** Shortest task among the first `limit` ready tasks with a valid server, in level-1 order; counts how often a shorter one lay beyond. */
function shortestWithin(limit: number): Policy & { missed: number; decisions: number } {
  const decision = { task: -1, server: DEFER as number };
  const policy = {
    name: `shortest of the first ${limit}`,
    missed: 0,
    decisions: 0,
    choose: (sim: SimulationView) => fastestValidServer(sim, sim.task),
    decide(sim: SimulationView): Decision {
      let seen = 0;
      let best = -1;
      let bestOverall = -1;
      for (let i = 0; i < sim.readyTasks; i++) {
        const task = sim.readyTaskAt(i);
        if (!sim.hasValidServer(task)) continue;
        if (bestOverall < 0 || sim.taskCompute(task) < sim.taskCompute(bestOverall)) bestOverall = task;
        if (seen < limit && (best < 0 || sim.taskCompute(task) < sim.taskCompute(best))) best = task;
        seen += 1;
      }
      policy.decisions += 1;
      if (sim.taskCompute(bestOverall) < sim.taskCompute(best)) policy.missed += 1;
      decision.task = best;
      decision.server = fastestValidServer(sim, best);
      return decision;
    },
  };
  return policy;
}

for (const regime of REGIMES.filter((r) => ['paper', 'load-1.25', 'load-1.5'].includes(r.id))) {
  const simConfig = Object.fromEntries(Object.entries(regime.env).filter(([key]) => key in SimConfigSchema.shape)) as SimConfigInput;
  for (const [rule, limit] of [
    ['shortest of all', Number.POSITIVE_INFINITY],
    [`shortest of the first ${cap}`, cap],
    ['level-1 task', 1],
  ] as const) {
    const policy = shortestWithin(limit);
    let total = 0;
    for (let e = 0; e < episodes; e++) {
      const seed = EVALUATION_SEED_BASE + e;
      const sim = createSimulation({ ...simConfig, nodes: 16, drain: true, seed });
      runEpisode(sim, policy);
      total += sim.metrics().meanResponseTime ?? Number.NaN;
    }
    process.stdout.write(
      `${JSON.stringify({ regime: regime.id, rule, episodes, meanResponseTime: total / episodes, shorterTaskBeyondCap: limit === Number.POSITIVE_INFINITY ? 0 : policy.missed / policy.decisions })}\n`,
    );
  }
}
