import { ConfigError } from '@scale/workload';
import { makePolicy, POLICY_NAMES, type PolicyName } from './policies.js';
import { runEpisode } from './run.js';
import { createSimulation, resolveSimConfig, type SimConfigInput } from './setup.js';
import type { Outcome } from './view.js';

/** One heuristic's drained run of the episode. */
export interface HeuristicResult {
  readonly policy: PolicyName;
  readonly outcome: Outcome;
  readonly meanResponseTime: number | null;
  readonly completedTasks: number;
}

/** The suite on one episode: every result in the order asked, the best of them, and the headroom bound. */
export interface Hindsight {
  readonly results: readonly HeuristicResult[];
  /** Lowest mean response time among the runs that drained (terminated), ties to the first asked; the first run when none drained. */
  readonly best: HeuristicResult;
  /** `Metrics.meanResponseTimeBound` of the episode: no schedule does better. */
  readonly bound: number | null;
}

/**
 * The best heuristic in hindsight for one episode: runs each of `policies` (default: all of
 * `POLICY_NAMES`; `random` seeded with the config's seed, as `scale-sim` does) on the episode `config`
 * describes and reports the best drained run. Tables can then place a method between the bound and this
 * reference. `config` must drain (`drain: true`), so every run completes the same tasks.
 */
export function bestHeuristicInHindsight(config: SimConfigInput, policies: readonly PolicyName[] = POLICY_NAMES): Hindsight {
  const resolved = resolveSimConfig(config);
  if (!resolved.drain) throw new ConfigError('config.drain', 'true (the best heuristic in hindsight compares drained runs)', resolved.drain);
  if (policies.length === 0) throw new ConfigError('policies', 'at least one policy name', policies.length);
  let bound: number | null = null;
  const results = policies.map((policy): HeuristicResult => {
    const sim = runEpisode(createSimulation(resolved), makePolicy(policy, { seed: resolved.seed }));
    const metrics = sim.metrics();
    bound = metrics.meanResponseTimeBound;
    return { policy, outcome: sim.outcome, meanResponseTime: metrics.meanResponseTime, completedTasks: metrics.completedTasks };
  });
  let best = results[0] as HeuristicResult;
  for (const r of results) {
    if (r.outcome !== 'terminated' || r.meanResponseTime === null) continue;
    if (best.outcome !== 'terminated' || best.meanResponseTime === null || r.meanResponseTime < best.meanResponseTime) best = r;
  }
  return { results, best, bound };
}
