import type { Workflow } from '@scale/workload';
import type { ServerSpec } from '../cluster.js';
import type { AttemptLog } from './attempt-log.js';
import type { Metrics } from '../metrics.js';
import type { SimulationOptions } from '../options.js';
import type { ScheduleTrace, TraceAttempt } from '../trace.js';
import type { Outcome } from '../view.js';

/** What a schedule trace is made of: a simulation's inputs and its record of attempts. */
export interface TraceSource {
  readonly options: SimulationOptions;
  readonly timeLimit: number;
  readonly servers: readonly ServerSpec[];
  readonly upIntervals: readonly (readonly [number, number | null])[][];
  /** The workflows that have arrived, in arrival order. */
  readonly arrivedWorkflows: readonly Workflow[];
  /** Global task index -> workflow id and task id. */
  readonly workflowIdOf: (task: number) => number;
  readonly localIdOf: (task: number) => number;
  readonly attempts: AttemptLog;
  readonly metrics: Metrics;
  readonly outcome: Outcome;
}

/** The schedule trace of a run (DESIGN.md section 7); `config` entries are added to the trace's config. */
export function exportTrace(source: TraceSource, config: Record<string, unknown>): ScheduleTrace {
  const log = source.attempts;
  const o = source.options;
  const attempts: TraceAttempt[] = log.task.map((task, i) => {
    const end = log.end[i] as number;
    const attempt: TraceAttempt = {
      workflow: source.workflowIdOf(task),
      task: source.localIdOf(task),
      server: log.server[i] as number,
      start: log.start[i] as number,
      end: Number.isNaN(end) ? null : end,
      interrupted: log.interrupted[i] as boolean,
    };
    return o.communication === 'delays-start' ? { ...attempt, assigned: log.assigned[i] as number } : attempt;
  });
  return {
    format: 'scale-schedule-trace',
    version: 1,
    config: {
      communication: o.communication,
      invalidAction: o.invalidAction,
      horizon: o.horizon,
      drain: o.drain,
      ...(o.drain ? { drainLimit: source.timeLimit } : {}),
      bandwidth: o.bandwidth,
      latency: o.latency,
      taskSelector: o.taskSelector,
      ...config,
    },
    servers: source.servers.map((s, j) => ({
      id: s.id,
      tier: s.tier,
      compute: s.compute,
      memory: s.memory,
      idlePower: s.idlePower,
      busyPower: s.busyPower,
      upIntervals: (source.upIntervals[j] as [number, number | null][]).map(([a, b]) => [a, b] as [number, number | null]),
    })),
    workflows: source.arrivedWorkflows.map((w) => ({
      id: w.id,
      arrival: w.arrival,
      ...(w.name === undefined ? {} : { name: w.name }),
      tasks: w.tasks.map((t) => ({
        id: t.id,
        compute: t.compute,
        memory: t.memory,
        output: t.output,
        parents: [...t.parents],
        ...(t.parentData === undefined ? {} : { parentData: [...t.parentData] }),
      })),
    })),
    attempts,
    metrics: { ...source.metrics, outcome: source.outcome },
  };
}
