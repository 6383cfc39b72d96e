import {
  GeneratorParamsSchema,
  meanWorkflowCompute,
  paperWorkload,
  parseConfig,
  poolWorkload,
  readWfFormatPool,
  Rng,
  scaledArrivalRate,
  type Workflow,
  type WorkflowShape,
} from '@scale/workload';
import { z } from 'zod';
import { makeCluster, ServerSpecSchema, type ServerSpec } from './cluster.js';
import { randomFailureEvents } from './elastic.js';
import { SimulationOptionsSchema } from './options.js';
import { Simulation } from './simulation.js';
import { readScenarioFile } from './trace.js';

/**
 * One run's configuration, the `scale-sim` flags in camelCase. The env and the experiments reuse it,
 * so a run is described the same way everywhere.
 */
export const SimConfigSchema = z
  .object({
    /** Cluster size N for the paper's 2:5:1 preset (ignored with `scenario`). */
    nodes: z.number().int().min(1).max(1_000_000).default(16),
    /** Seed for the workload, the failure process and the `random` policy. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    /** `paper` (random DAGs) or `wfformat:PATH` (a file or folder of WfFormat instances). */
    workload: z.union([z.literal('paper'), z.string().regex(/^wfformat:.+/, 'paper or wfformat:PATH')]).default('paper'),
    /** Workflows/s at N = 16; lambda_N = lambda16 * N / 16 (paper workload). */
    lambda16: z.number().positive().finite().default(1.25),
    /** Workflows/s, overriding lambda16 scaling (and, for wfformat, the target load). */
    arrivalRate: z.number().positive().finite().optional(),
    /** wfformat: arrival rate set so that offered compute = load x cluster compute. */
    load: z.number().positive().finite().default(0.75),
    /** Random DAG generator parameters (paper workload). */
    generator: GeneratorParamsSchema.optional(),
    /** WfFormat import: GFLOP per second of recorded runtime. */
    referenceSpeed: z.number().positive().finite().default(1),
    /** Explicit servers (ids 0..N-1), replacing the `nodes` preset; arrival scaling uses their count. */
    servers: z.array(ServerSpecSchema.strict()).min(1).readonly().optional(),
    /** A scenario file: explicit servers and workflows (replaces nodes and workload). */
    scenario: z.string().optional(),
    /** Random failure-and-repair process (elastic clusters). */
    failures: z.object({ mtbf: z.number().positive().finite(), mttr: z.number().positive().finite() }).strict().optional(),
  })
  .extend(SimulationOptionsSchema.shape)
  .strict();
export type SimConfig = z.output<typeof SimConfigSchema>;
export type SimConfigInput = z.input<typeof SimConfigSchema>;

export function resolveSimConfig(input: SimConfigInput = {}): SimConfig {
  return parseConfig(SimConfigSchema, input, 'config');
}

const poolCache = new Map<string, WorkflowShape[]>();

/** Imports (once per path and speed) the WfFormat pool named by `wfformat:PATH`. */
export function loadWorkflowPool(path: string, referenceSpeed: number): WorkflowShape[] {
  const key = `${referenceSpeed}:${path}`;
  let pool = poolCache.get(key);
  if (pool === undefined) {
    pool = readWfFormatPool(path, { referenceSpeed }).imports.map((i) => i.workflow);
    poolCache.set(key, pool);
  }
  return pool;
}

/** Builds the simulation a config describes: cluster, workload, elastic events and options. */
export function createSimulation(input: SimConfigInput = {}): Simulation {
  const config = resolveSimConfig(input);
  const { nodes, seed, workload, lambda16, arrivalRate, load, generator, referenceSpeed, scenario, failures, servers: explicitServers, ...options } = config;
  let servers: ServerSpec[];
  let simOptions: typeof options = options;
  let workflows: Workflow[];
  if (scenario !== undefined) {
    const loaded = readScenarioFile(scenario);
    servers = loaded.servers;
    workflows = loaded.workflows;
    // The scenario's own config applies unless the caller set the option explicitly.
    simOptions = { ...options, ...(pickUnset(loaded.options, input) as Partial<typeof options>) };
  } else {
    servers = explicitServers === undefined ? makeCluster({ nodes }) : makeCluster({ servers: explicitServers as ServerSpec[] });
    const horizon = options.horizon;
    if (workload === 'paper') {
      const rate = arrivalRate ?? scaledArrivalRate(lambda16, servers.length);
      workflows = paperWorkload({ seed, horizon, arrivalRate: rate, ...(generator ? { generator } : {}) });
    } else {
      const pool = loadWorkflowPool(workload.slice('wfformat:'.length), referenceSpeed);
      const capacity = servers.reduce((sum, s) => sum + s.compute, 0);
      const rate = arrivalRate ?? (load * capacity) / meanWorkflowCompute(pool);
      workflows = poolWorkload({ seed, horizon, arrivalRate: rate, pool });
    }
  }
  let elasticEvents = simOptions.elasticEvents;
  if (failures !== undefined) {
    const until = simOptions.drain ? (simOptions.drainLimit ?? 10 * simOptions.horizon) : simOptions.horizon;
    elasticEvents = [...elasticEvents, ...randomFailureEvents(new Rng(seed).child('elastic'), servers.length, failures, until)];
  }
  return new Simulation({ ...simOptions, elasticEvents, servers, workflows });
}

function pickUnset<T extends object>(fromScenario: Partial<T>, explicit: object): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(fromScenario)) {
    if (!(key in explicit)) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
