import { z } from 'zod';
import { parseConfig } from './config.js';
import type { Rng } from './rng.js';
import type { Task, WorkflowShape } from './workflow.js';

const positive = z.number().positive().finite();
const nonNegative = z.number().min(0).finite();

/**
 * Parameters of the paper's random DAG generator (DESIGN.md section 3). Every value is overridable;
 * the defaults are the paper's stated values where it states them and our documented choices otherwise.
 */
export const GeneratorParamsSchema = z
  .object({
    /** Primitives per workflow: uniform integer in [minTasks, maxTasks] (stated: 3..8). */
    minTasks: z.number().int().min(1).max(10_000).default(3),
    maxTasks: z.number().int().min(1).max(10_000).default(8),
    /** Node i >= 1 takes k ~ U{1..min(maxParents, i)} distinct parents among 0..i-1 (chosen). */
    maxParents: z.number().int().min(1).max(10_000).default(2),
    /** Compute demand c = max(min, Normal(mean, sd)) GFLOP (floor stated, law chosen). */
    compute: z.object({ mean: positive.default(4), sd: nonNegative.default(2), min: positive.default(1) }).strict().prefault({}),
    /** Memory m = clip(Normal(mean, sd), min, max) GB (clip stated, law chosen). */
    memory: z
      .object({ mean: positive.default(6), sd: nonNegative.default(4), min: positive.default(0.5), max: positive.default(30) })
      .strict()
      .prefault({}),
    /** Output data d = max(min, Exponential(mean)) GB (floor stated, law chosen). */
    output: z.object({ mean: positive.default(0.5), min: nonNegative.default(0.01) }).strict().prefault({}),
  })
  .strict()
  .refine((p) => p.minTasks <= p.maxTasks, { message: 'minTasks <= maxTasks', path: ['minTasks'] })
  .refine((p) => p.memory.min <= p.memory.max, { message: 'memory.min <= memory.max', path: ['memory', 'min'] });

export type GeneratorParams = z.output<typeof GeneratorParamsSchema>;
export type GeneratorParamsInput = z.input<typeof GeneratorParamsSchema>;

/** Resolves partial generator parameters to full ones, with a `ConfigError` on any bad field. */
export function resolveGeneratorParams(input: GeneratorParamsInput = {}): GeneratorParams {
  return parseConfig(GeneratorParamsSchema, input, 'generator');
}

/**
 * One workflow DAG from the paper's generator. The shape (task count, parents) draws from `shapeRng`
 * and the demands from `demandRng`, so changing a demand law never changes the DAG shapes.
 */
export function generateWorkflowShape(params: GeneratorParams, shapeRng: Rng, demandRng: Rng): WorkflowShape {
  const count = shapeRng.int(params.minTasks, params.maxTasks);
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const parents: number[] = [];
    if (i >= 1) {
      const k = shapeRng.int(1, Math.min(params.maxParents, i));
      parents.push(...shapeRng.sampleDistinct(i, k));
    }
    const compute = Math.max(params.compute.min, demandRng.normal(params.compute.mean, params.compute.sd));
    const memory = Math.min(params.memory.max, Math.max(params.memory.min, demandRng.normal(params.memory.mean, params.memory.sd)));
    const output = Math.max(params.output.min, demandRng.exponential(params.output.mean));
    tasks.push({ id: i, compute, memory, output, parents });
  }
  return { tasks };
}
