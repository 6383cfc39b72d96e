import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig, type Workflow } from '@scale/workload';
import { z } from 'zod';
import { ServerSpecSchema, type ServerSpec } from './cluster.js';
import { responseTimeBound } from './headroom.js';
import { summarizeMetrics, type Metrics } from './metrics.js';
import type { SimulationOptionsInput } from './options.js';

/** One attempt to run a task on a server (DESIGN.md section 7). */
export interface TraceAttempt {
  readonly workflow: number;
  readonly task: number;
  readonly server: number;
  /**
   * When computing started (or would have: an attempt interrupted while waiting for its input data under
   * 'delays-start' keeps its planned start, later than its `end`, and computed for no time).
   */
  readonly start: number;
  /** Completion, or the failure time of an interrupted attempt; null while still running at a truncation. */
  readonly end: number | null;
  readonly interrupted: boolean;
  /** When the server was taken, if earlier than `start` ('delays-start' traces only). */
  readonly assigned?: number;
}

export interface TraceServer extends Omit<ServerSpec, 'upIntervals'> {
  readonly upIntervals: readonly (readonly [number, number | null])[];
}

/** A whole run as one JSON document: `format: "scale-schedule-trace"`, `version: 1`. */
export interface ScheduleTrace {
  readonly format: 'scale-schedule-trace';
  readonly version: 1;
  readonly config: Readonly<Record<string, unknown>>;
  readonly servers: readonly TraceServer[];
  readonly workflows: readonly Workflow[];
  readonly attempts: readonly TraceAttempt[];
  readonly metrics: Metrics & { readonly outcome: string };
}

/** One broken rule found by `checkTrace`. */
export interface TraceViolation {
  readonly rule:
    | 'unknown-reference'
    | 'overlap'
    | 'memory'
    | 'precedence'
    | 'duration'
    | 'server-down'
    | 'preemption'
    | 'completion'
    | 'metrics';
  readonly message: string;
}

const closeTo = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Checks a trace independently of the simulator that wrote it: attempts on one server never overlap,
 * memory fits, a child starts after its parents end (plus transfer in 'delays-start'), durations equal
 * compute / server compute, servers are up while they work, interrupted attempts end at a failure,
 * each task completes at most once, and the metrics recompute from the attempts.
 * Returns every violation found (empty when the trace is consistent).
 */
export function checkTrace(trace: ScheduleTrace): TraceViolation[] {
  const violations: TraceViolation[] = [];
  const fail = (rule: TraceViolation['rule'], message: string): void => {
    if (violations.length < 100) violations.push({ rule, message });
  };
  const delaysStart = trace.config['communication'] === 'delays-start';
  const bandwidth = typeof trace.config['bandwidth'] === 'number' ? trace.config['bandwidth'] : 10;
  const latency = typeof trace.config['latency'] === 'number' ? trace.config['latency'] : 0.01;
  const endTime = trace.metrics.time;
  const servers = new Map(trace.servers.map((s) => [s.id, s]));
  const workflows = new Map(trace.workflows.map((w) => [w.id, w]));
  const key = (w: number, t: number): string => `${w}/${t}`;
  const completion = new Map<string, { end: number; server: number }>();

  const held = (a: TraceAttempt): number => a.assigned ?? a.start;
  for (const [i, a] of trace.attempts.entries()) {
    const server = servers.get(a.server);
    const workflow = workflows.get(a.workflow);
    const task = workflow?.tasks.find((t) => t.id === a.task);
    if (server === undefined || workflow === undefined || task === undefined) {
      fail('unknown-reference', `attempt ${i} names workflow ${a.workflow}, task ${a.task}, server ${a.server}, not all of which exist`);
      continue;
    }
    if (task.memory > server.memory) fail('memory', `attempt ${i}: task memory ${task.memory} > server ${a.server} memory ${server.memory}`);
    if (held(a) < workflow.arrival) fail('precedence', `attempt ${i} starts at ${held(a)}, before its workflow arrives at ${workflow.arrival}`);
    if (!a.interrupted && a.end !== null && !closeTo(a.end - a.start, task.compute / server.compute)) {
      fail('duration', `attempt ${i} lasts ${a.end - a.start}, expected compute/C = ${task.compute / server.compute}`);
    }
    const until = a.end ?? endTime;
    const inside = server.upIntervals.some(([up, down]) => up <= held(a) && (down === null || until <= down));
    if (!inside) fail('server-down', `attempt ${i} on server ${a.server} over [${held(a)}, ${until}] is not within an up interval`);
    if (a.interrupted && !server.upIntervals.some(([, down]) => down !== null && a.end !== null && closeTo(down, a.end))) {
      fail('preemption', `attempt ${i} was interrupted at ${a.end}, which is not a failure of server ${a.server}`);
    }
    const k = key(a.workflow, a.task);
    if (completion.has(k)) fail('completion', `attempt ${i}: task ${k} runs again after it completed`);
    if (!a.interrupted && a.end !== null) completion.set(k, { end: a.end, server: a.server });
  }

  // Precedence: every attempt of a child comes after its parents completed (plus transfer when it delays start).
  for (const [i, a] of trace.attempts.entries()) {
    const workflow = workflows.get(a.workflow);
    const task = workflow?.tasks.find((t) => t.id === a.task);
    if (task === undefined) continue;
    task.parents.forEach((parentId, p) => {
      const done = completion.get(key(a.workflow, parentId));
      if (done === undefined || done.end > held(a)) {
        fail('precedence', `attempt ${i} (task ${key(a.workflow, a.task)}) is assigned at ${held(a)} before parent ${parentId} completed`);
        return;
      }
      if (delaysStart && done.server !== a.server) {
        const parent = workflow?.tasks.find((t) => t.id === parentId);
        const volume = task.parentData?.[p] ?? parent?.output ?? 0;
        const arrives = done.end + volume / bandwidth + latency;
        if (a.start < arrives - 1e-9 * Math.max(1, arrives)) {
          fail('precedence', `attempt ${i} starts at ${a.start}, before parent ${parentId}'s data arrives at ${arrives}`);
        }
      }
    });
  }

  // One task per server at a time.
  const byServer = new Map<number, TraceAttempt[]>();
  for (const a of trace.attempts) {
    const list = byServer.get(a.server) ?? [];
    list.push(a);
    byServer.set(a.server, list);
  }
  for (const [server, list] of byServer) {
    const sorted = [...list].sort((x, y) => held(x) - held(y));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as TraceAttempt;
      const cur = sorted[i] as TraceAttempt;
      if (prev.end === null || prev.end > held(cur)) {
        fail('overlap', `server ${server}: attempt at ${held(cur)} overlaps the one over [${held(prev)}, ${prev.end}]`);
      }
    }
  }

  // Metrics, recomputed from the attempts alone.
  const responses: number[] = [];
  let makespan = 0;
  const completedPerWorkflow = new Map<number, { count: number; last: number }>();
  for (const a of trace.attempts) {
    if (a.interrupted || a.end === null) continue;
    const workflow = workflows.get(a.workflow);
    if (workflow === undefined) continue;
    responses.push(a.end - workflow.arrival);
    makespan = Math.max(makespan, a.end);
    const entry = completedPerWorkflow.get(a.workflow) ?? { count: 0, last: 0 };
    entry.count++;
    entry.last = Math.max(entry.last, a.end);
    completedPerWorkflow.set(a.workflow, entry);
  }
  const workflowResponses: number[] = [];
  for (const w of trace.workflows) {
    const entry = completedPerWorkflow.get(w.id);
    if (entry !== undefined && entry.count === w.tasks.length) workflowResponses.push(entry.last - w.arrival);
  }
  let upTime = 0;
  let occupied = 0;
  let energy = 0;
  for (const s of trace.servers) {
    let up = 0;
    for (const [a, b] of s.upIntervals) up += Math.max(0, Math.min(b ?? endTime, endTime) - a);
    let occ = 0;
    let comp = 0;
    for (const a of byServer.get(s.id) ?? []) {
      const until = a.end ?? endTime;
      occ += until - held(a);
      comp += Math.max(0, until - a.start);
    }
    upTime += up;
    occupied += occ;
    energy += (s.idlePower ?? 0) * (up - comp) + (s.busyPower ?? 0) * comp;
  }
  const recomputed = summarizeMetrics({
    responses,
    responseTimeBound: recomputedBound(trace),
    workflowResponses,
    arrivedTasks: trace.workflows.reduce((sum, w) => sum + w.tasks.length, 0),
    arrivedWorkflows: trace.workflows.length,
    makespan,
    upTime,
    occupied,
    energy,
    interruptedAttempts: trace.attempts.filter((a) => a.interrupted).length,
    time: endTime,
  });
  for (const [name, value] of Object.entries(recomputed) as [keyof Metrics, number | null][]) {
    const reported = trace.metrics[name];
    // Traces written before the headroom bound existed do not report it.
    if (name === 'meanResponseTimeBound' && reported === undefined) continue;
    const same = value === null || reported === null ? value === reported : closeTo(value, reported);
    if (!same) fail('metrics', `metrics.${name} is ${reported}, recomputed from the attempts ${value}`);
  }
  return violations;
}

/** The headroom bound of the trace's servers and workflows; null when some task fits no server (reported as memory violations). */
function recomputedBound(trace: ScheduleTrace): number | null {
  try {
    return responseTimeBound(trace.servers, trace.workflows).lowerBound;
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

// -------------------------------------------------------------------------------------------------
// Scenarios: a trace without attempts, run as explicit servers and workflows.

const number = z.number().finite();
const ScenarioSchema = z.object({
  format: z.literal('scale-schedule-trace'),
  version: z.literal(1),
  config: z
    .object({
      communication: z.enum(['reward-only', 'delays-start']).optional(),
      invalidAction: z.enum(['penalize', 'mask']).optional(),
      horizon: number.positive().optional(),
      drain: z.boolean().optional(),
      drainLimit: number.positive().optional(),
      bandwidth: number.positive().optional(),
      latency: number.min(0).optional(),
      taskSelector: z.enum(['longest-path', 'fifo']).optional(),
      seed: z.number().int().optional(),
    })
    .loose()
    .optional(),
  servers: z
    .array(ServerSpecSchema.extend({ tier: z.string().default('custom'), idlePower: number.min(0).default(0), busyPower: number.min(0).default(0) }))
    .min(1),
  workflows: z.array(
    z.object({
      id: z.number().int().min(0),
      arrival: number.min(0),
      name: z.string().optional(),
      tasks: z
        .array(
          z.object({
            id: z.number().int().min(0),
            compute: number.positive(),
            memory: number.positive(),
            output: number.min(0),
            parents: z.array(z.number().int().min(0)),
            parentData: z.array(number.min(0)).optional(),
          }),
        )
        .min(1),
    }),
  ),
});

export interface Scenario {
  readonly servers: ServerSpec[];
  readonly workflows: Workflow[];
  /** The options the scenario's `config` sets (the caller's flags may override them). */
  readonly options: Partial<SimulationOptionsInput>;
}

/** Parses a scenario (or a whole trace; its attempts are ignored) with errors that name the field. */
export function parseScenario(document: unknown, source = 'scenario'): Scenario {
  const parsed = parseConfig(ScenarioSchema, document, source);
  const servers: ServerSpec[] = parsed.servers.map((s, j) => {
    if (s.id !== j) throw new ConfigError(`${source}.servers[${j}].id`, `${j} (server ids are their positions)`, s.id);
    const { upIntervals, ...rest } = s;
    return { ...rest, ...(upIntervals === undefined ? {} : { upIntervals }) };
  });
  const workflows: Workflow[] = parsed.workflows.map((w) => ({
    id: w.id,
    arrival: w.arrival,
    ...(w.name === undefined ? {} : { name: w.name }),
    tasks: w.tasks.map(({ parentData, ...t }) => ({ ...t, ...(parentData === undefined ? {} : { parentData }) })),
  }));
  const options: Partial<SimulationOptionsInput> = {};
  const c = parsed.config ?? {};
  if (c.communication !== undefined) options.communication = c.communication;
  if (c.invalidAction !== undefined) options.invalidAction = c.invalidAction;
  if (c.horizon !== undefined) options.horizon = c.horizon;
  if (c.drain !== undefined) options.drain = c.drain;
  if (c.drainLimit !== undefined) options.drainLimit = c.drainLimit;
  if (c.bandwidth !== undefined) options.bandwidth = c.bandwidth;
  if (c.latency !== undefined) options.latency = c.latency;
  if (c.taskSelector !== undefined) options.taskSelector = c.taskSelector;
  return { servers, workflows, options };
}

/** Reads a scenario file; see `parseScenario`. */
export function readScenarioFile(path: string): Scenario {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('scenario', `a readable JSON file (${(error as Error).message})`, path);
  }
  return parseScenario(document, path);
}
