import {
  ConfigError,
  GeneratorParamsSchema,
  MAX_SERVERS,
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
import { SimulationOptionsSchema, type SimulationOptions } from './options.js';
import { Simulation } from './simulation.js';
import { readScenarioFile } from './trace.js';

/**
 * One run's configuration, the `scale-sim` flags in camelCase. The env and the experiments reuse it,
 * so a run is described the same way everywhere.
 */
export const SimConfigSchema = z
  .object({
    nodes: z.number().int().min(1).max(MAX_SERVERS).default(16).describe("cluster size N, the paper's 2:5:1 tiers (with servers: their count, or absent; ignored with scenario)"),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0).describe('seed of the workload, the failure process and the random policy'),
    workload: z
      .union([z.literal('paper'), z.string().regex(/^wfformat:.+/, 'paper or wfformat:PATH')])
      .default('paper')
      .describe('paper (random DAGs) or wfformat:PATH (a WfFormat file or folder)'),
    lambda16: z.number().positive().finite().default(1.25).describe('workflows/s at N = 16, scaled by N/16 (paper workload)'),
    arrivalRate: z.number().positive().finite().optional().describe('workflows/s, overriding lambda16 scaling (and, for wfformat, the target load)'),
    load: z.number().positive().finite().default(0.75).describe('wfformat: arrival rate set so that offered compute = load x cluster compute'),
    generator: GeneratorParamsSchema.optional().describe('random DAG generator parameters (paper workload)'),
    referenceSpeed: z.number().positive().finite().default(1).describe('WfFormat import: GFLOP per second of recorded runtime'),
    servers: z.array(ServerSpecSchema.strict()).min(1).readonly().optional().describe('explicit servers (ids 0..N-1), replacing the nodes preset'),
    scenario: z.string().optional().describe('a scenario file: servers and workflows (replaces nodes and workload; upIntervals schedule joins and failures)'),
    failures: z
      .object({
        mtbf: z.number().positive().finite().describe('random failures: mean time between failures per server (s)'),
        mttr: z.number().positive().finite().describe('random failures: mean time to repair (s)'),
      })
      .strict()
      .optional()
      .describe('random failure-and-repair process (elastic clusters)'),
  })
  .extend(SimulationOptionsSchema.shape)
  .strict();
export type SimConfig = z.output<typeof SimConfigSchema>;
export type SimConfigInput = z.input<typeof SimConfigSchema>;

export function resolveSimConfig(input: SimConfigInput = {}): SimConfig {
  const config = parseConfig(SimConfigSchema, input, 'config');
  if (config.servers === undefined) return config;
  // Explicit servers fix N: `nodes` may repeat it, never contradict it (the servers would win without a
  // word), and the resolved config says the N the run has.
  const count = config.servers.length;
  if (input.nodes !== undefined && input.nodes !== count) throw new ConfigError('config.nodes', `${count} (the number of servers given) or absent`, input.nodes);
  return { ...config, nodes: count };
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

/** Builds the simulation a config describes (user input: parsed here, once). */
export function createSimulation(input: SimConfigInput = {}): Simulation {
  return simulationFromConfig(resolveSimConfig(input), input);
}

/**
 * Builds the simulation of an already-resolved config (no parsing: callers that resolve once and build
 * many, like the env's resets). Every option in `config` is explicit, so it overrides a scenario's own.
 */
export function buildSimulation(config: SimConfig): Simulation {
  return simulationFromConfig(config, null);
}

/** `explicit`: the user's input, whose keys override a scenario's options; null when all are explicit. */
function simulationFromConfig(config: SimConfig, explicit: object | null): Simulation {
  const { nodes, seed, workload, lambda16, arrivalRate, load, generator, referenceSpeed, scenario, failures, servers: explicitServers, ...options } = config;
  let servers: ServerSpec[];
  let simOptions: SimulationOptions = options;
  let workflows: Workflow[];
  if (scenario !== undefined) {
    const loaded = readScenarioFile(scenario);
    servers = loaded.servers;
    workflows = loaded.workflows;
    // The scenario's own config applies unless the caller set the option explicitly.
    const fromScenario = explicit === null ? {} : pickUnset(loaded.options, explicit);
    if (Object.keys(fromScenario).length > 0) simOptions = parseConfig(SimulationOptionsSchema, { ...options, ...fromScenario }, 'config');
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
  if (failures !== undefined) {
    const until = simOptions.drain ? (simOptions.drainLimit ?? 10 * simOptions.horizon) : simOptions.horizon;
    const random = randomFailureEvents(new Rng(seed).child('elastic'), servers.length, failures, until);
    simOptions = { ...simOptions, elasticEvents: [...simOptions.elasticEvents, ...random] };
  }
  return new Simulation({ servers, workflows, options: simOptions });
}

function pickUnset<T extends object>(fromScenario: Partial<T>, explicit: object): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(fromScenario)) {
    if (!(key in explicit)) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
