import { poissonArrivals } from './arrivals.js';
import { ConfigError } from './errors.js';
import { generateWorkflowShape, resolveGeneratorParams, type GeneratorParamsInput } from './generator.js';
import { Rng } from './rng.js';
import { validateWorkflow, type Workflow, type WorkflowShape } from './workflow.js';

export interface PaperWorkloadConfig {
  /** Seed of the whole workload; arrivals, shapes and demands use independent child streams of it. */
  readonly seed: number;
  /** Arrivals fall in [0, horizon) seconds. */
  readonly horizon: number;
  /** Workflows per second (`lambda_N`; see `scaledArrivalRate`). */
  readonly arrivalRate: number;
  readonly generator?: GeneratorParamsInput;
}

/** The paper's workload: Poisson arrivals of random DAGs (DESIGN.md sections 2 and 3). */
export function paperWorkload(config: PaperWorkloadConfig): Workflow[] {
  const params = resolveGeneratorParams(config.generator);
  const root = new Rng(config.seed).child('workload');
  const times = poissonArrivals(root.child('arrivals'), config.arrivalRate, config.horizon);
  const shapeRng = root.child('shape');
  const demandRng = root.child('demands');
  return times.map((arrival, id) => ({ id, arrival, ...generateWorkflowShape(params, shapeRng, demandRng) }));
}

export interface PoolWorkloadConfig {
  readonly seed: number;
  readonly horizon: number;
  readonly arrivalRate: number;
  /** The workflows to draw from (each arrival is a uniform, independent pick). */
  readonly pool: readonly WorkflowShape[];
}

/** A workload of workflows drawn from a pool (e.g. imported real traces) arriving by a Poisson process. */
export function poolWorkload(config: PoolWorkloadConfig): Workflow[] {
  if (config.pool.length === 0) throw new ConfigError('pool', 'at least one workflow', config.pool);
  for (const shape of config.pool) validateWorkflow(shape);
  const root = new Rng(config.seed).child('workload');
  const times = poissonArrivals(root.child('arrivals'), config.arrivalRate, config.horizon);
  const pickRng = root.child('pool-pick');
  return times.map((arrival, id) => ({ id, arrival, ...config.pool[pickRng.int(0, config.pool.length - 1)] as WorkflowShape }));
}

/** Mean total compute demand (GFLOP) of one workflow of a pool. */
export function meanWorkflowCompute(pool: readonly WorkflowShape[]): number {
  let total = 0;
  for (const shape of pool) for (const task of shape.tasks) total += task.compute;
  return total / pool.length;
}
