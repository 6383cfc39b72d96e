/** Run metrics (DESIGN.md section 2). Times in simulated seconds; null where the set is empty. */
export interface Metrics {
  /** Primary metric: mean over completed tasks of (completion - its workflow's arrival). */
  readonly meanResponseTime: number | null;
  /**
   * Headroom: a lower bound on the mean response time of any schedule that completes every arrived task
   * (`responseTimeBound(...).lowerBound` over the arrived workflows; compare it with drained runs).
   */
  readonly meanResponseTimeBound: number | null;
  readonly completedTasks: number;
  readonly arrivedTasks: number;
  readonly completedWorkflows: number;
  readonly arrivedWorkflows: number;
  /** Mean over completed workflows of (last task's completion - arrival). */
  readonly meanWorkflowResponseTime: number | null;
  readonly p50ResponseTime: number | null;
  readonly p95ResponseTime: number | null;
  readonly p99ResponseTime: number | null;
  /** Time of the last completion (0 when none). */
  readonly makespan: number;
  /** Occupied server-time / up server-time (a server is occupied from assignment to completion). */
  readonly utilization: number;
  /** Energy (J): idle power over up time not computing + busy power over compute time. */
  readonly energy: number;
  readonly interruptedAttempts: number;
  /** When the run stopped (or now, for a run in progress). */
  readonly time: number;
}

/** Sums gathered by whoever computes metrics: the simulator from its state, the checker from a trace. */
export interface MetricInputs {
  readonly responses: readonly number[];
  /**
   * `Metrics.meanResponseTimeBound` (null when absent). A function is called on the first read of the
   * field only: the bound costs about 5% of a training episode and training never reads it.
   */
  readonly responseTimeBound?: number | null | (() => number | null);
  readonly workflowResponses: readonly number[];
  readonly arrivedTasks: number;
  readonly arrivedWorkflows: number;
  readonly makespan: number;
  readonly upTime: number;
  readonly occupied: number;
  readonly energy: number;
  readonly interruptedAttempts: number;
  readonly time: number;
}

/** The shared last step of metrics: means, percentiles and ratios from gathered sums. */
export function summarizeMetrics(m: MetricInputs): Metrics {
  const sorted = Float64Array.from(m.responses).sort();
  const bound = m.responseTimeBound;
  let boundValue = typeof bound === 'function' ? undefined : (bound ?? null);
  return {
    meanResponseTime: mean(m.responses),
    // An enumerable getter: spreads and JSON see a plain number, computed once when first read.
    get meanResponseTimeBound(): number | null {
      if (boundValue === undefined) boundValue = (bound as () => number | null)();
      return boundValue;
    },
    completedTasks: m.responses.length,
    arrivedTasks: m.arrivedTasks,
    completedWorkflows: m.workflowResponses.length,
    arrivedWorkflows: m.arrivedWorkflows,
    meanWorkflowResponseTime: mean(m.workflowResponses),
    p50ResponseTime: percentile(sorted, 0.5),
    p95ResponseTime: percentile(sorted, 0.95),
    p99ResponseTime: percentile(sorted, 0.99),
    makespan: m.makespan,
    utilization: m.upTime > 0 ? m.occupied / m.upTime : 0,
    energy: m.energy,
    interruptedAttempts: m.interruptedAttempts,
    time: m.time,
  };
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Linear-interpolation percentile (numpy's default) of an ascending array; null when empty. */
export function percentile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = position - lo;
  return (sorted[lo] as number) * (1 - frac) + (sorted[hi] as number) * frac;
}
