import { type Job, JobPlan, type JobPlanOptions } from './plan.js';
import { beyondTarget } from './targets/beyond.js';
import { elasticTarget } from './targets/elastic.js';
import { exploreTarget } from './targets/explore.js';
import { fig6Target } from './targets/fig6.js';
import { imitationTarget } from './targets/imitation.js';
import { realTarget } from './targets/real.js';
import { regimesTarget } from './targets/regimes.js';
import { TABLE3_PAPER, table3Target } from './targets/table3.js';
import { TABLE4_PAPER, table4Target } from './targets/table4.js';
import { TABLE5_PAPER, table5Target } from './targets/table5.js';

/**
 * Every target of `scale reproduce`, in the order their jobs are planned and their tables written
 * (Table 3's N=16 runs first, so whole targets finish early). A new target is a module under
 * `targets/` and one line here.
 */
export const TARGETS = [table3Target, table4Target, table5Target, fig6Target, regimesTarget, elasticTarget, realTarget, beyondTarget, imitationTarget, exploreTarget] as const;

export type TargetId = (typeof TARGETS)[number]['id'];
/** What `scale reproduce` accepts: a target, or `all`. */
export type ReproduceTarget = TargetId | 'all';
export const REPRODUCE_TARGETS: readonly ReproduceTarget[] = [...TARGETS.map((target) => target.id), 'all'];

/** The paper's reported values (DESIGN.md section 6). Printed beside ours, labelled; never used as outputs. */
export const PAPER = { table3: TABLE3_PAPER, table4: TABLE4_PAPER, table5: TABLE5_PAPER } as const;

export function isReproduceTarget(name: string): name is ReproduceTarget {
  return (REPRODUCE_TARGETS as readonly string[]).includes(name);
}

/** `all` (or no target) means every target its `inAll` admits: all but `explore` (its own short-budget reproduction) and `real`, which joins when a workload is given. */
export function expandTargets(targets: readonly ReproduceTarget[], workload: string | null): TargetId[] {
  const expanded = new Set<TargetId>();
  for (const t of targets.length === 0 ? (['all'] as const) : targets) {
    if (t === 'all') {
      for (const target of TARGETS) if (target.inAll(workload)) expanded.add(target.id);
    } else expanded.add(t);
  }
  return [...expanded];
}

export interface PlanOptions extends JobPlanOptions {
  readonly targets: readonly TargetId[];
}

/** Every job the targets need, without duplicates, in the registry's order. */
export function planJobs(options: PlanOptions): Job[] {
  const plan = new JobPlan(options);
  for (const target of TARGETS) if (options.targets.includes(target.id)) target.jobs(plan);
  return plan.jobs();
}
