import { SimConfigSchema } from '@scale/sim';
import { ConfigError, MAX_SERVERS, parseConfig } from '@scale/workload';
import { z } from 'zod';

/** Paper eq. 2 constants (DESIGN.md section 3); every one configurable. */
export const RewardConfigSchema = z
  .object({
    /** Time scale of the execution term exp(-t_exec / T0) (s). */
    T0: z.number().positive().finite().default(2),
    /** Communication scale C0 (s). */
    C0: z.number().positive().finite().default(0.1),
    /** Energy scale E0 (J). */
    E0: z.number().positive().finite().default(400),
    /** Weight of the communication penalty. */
    beta: z.number().min(0).finite().default(0.1),
    /** Weight of the energy penalty (the paper: 0, energy off). */
    gamma: z.number().min(0).finite().default(0),
    /** Reward of an invalid choice (penalize mode). */
    rInvalid: z.number().finite().default(-0.1),
  })
  .strict();
export type RewardConfig = z.output<typeof RewardConfigSchema>;

/** Feature normalizers (DESIGN.md section 3). */
export const FeatureScalesSchema = z
  .object({
    cRef: z.number().positive().finite().default(10),
    mRef: z.number().positive().finite().default(80),
    succRef: z.number().positive().finite().default(7),
    cMax: z.number().positive().finite().default(4),
    mMax: z.number().positive().finite().default(80),
    pMax: z.number().positive().finite().default(400),
  })
  .strict();
export type FeatureScales = z.output<typeof FeatureScalesSchema>;

/** Normalizers of the queue-aware features (observation.ts documents each feature). */
export const QueueScalesSchema = z
  .object({
    /** Time normalizer (s): waits since ready and times until a server frees are divided by it. */
    timeRef: z.number().positive().finite().default(10).describe('queue-aware features: time normalizer (s) for waits and free times'),
    /** Window (s) over which the recent arrival rate is measured. */
    arrivalWindow: z.number().positive().finite().default(10).describe('queue-aware features: window (s) of the recent offered load'),
  })
  .strict();
export type QueueScales = z.output<typeof QueueScalesSchema>;

/** Cap on candidate tasks in task-and-server mode (the model's limit too). */
export const MAX_CANDIDATES = 64;

/**
 * The env's config: the `scale-sim` flags in camelCase, plus `nodes` as a fixed N or a list to
 * sample from at each reset, the reward constants and the feature scales, and issue 14's swaps
 * (`objective`, `observation`, `actions`, `defer`), each defaulting to the paper's.
 */
export const EnvConfigSchema = SimConfigSchema.omit({ nodes: true, seed: true })
  .extend({
    nodes: z.union([z.number().int().min(1).max(MAX_SERVERS), z.array(z.number().int().min(1).max(MAX_SERVERS)).min(1)]).default(16),
    /** Seed of the first reset when `reset()` is called without one. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    reward: RewardConfigSchema.prefault({}),
    features: FeatureScalesSchema.prefault({}),
    objective: z
      .enum(['paper', 'response-time'])
      .default('paper')
      .describe("reward: paper (eq. 2 per assignment) or response-time (minus the area under the number of arrived, unfinished tasks since the last decision, / responseTimeScale)"),
    responseTimeScale: z
      .number()
      .positive()
      .finite()
      .default(10)
      .describe('response-time reward: divisor of the area (task-seconds); by Little\'s law a decision costs about mean response time / scale'),
    observation: z
      .enum(['paper', 'queue-aware'])
      .default('paper')
      .describe("observation: paper (5 task + 5 server features) or queue-aware (plus workflow backlog, waits, free times, relative speeds and a global context)"),
    queueScales: QueueScalesSchema.prefault({}),
    actions: z
      .enum(['server', 'task-and-server'])
      .default('server')
      .describe("actions: server (level 1 picks the task, the agent a server) or task-and-server (the agent picks a candidate task and a server)"),
    defer: z.boolean().default(false).describe('one extra last action: hold the decision until the next event (masked when no event comes before the time limit)'),
    candidates: z
      .number()
      .int()
      .min(1)
      .max(MAX_CANDIDATES)
      .default(8)
      .describe('task-and-server: at most this many candidate tasks (the first ready tasks with a valid server, in level-1 order)'),
    candidateWindow: z
      .enum(['level-1', 'level-1-and-shortest'])
      .default('level-1')
      .describe(
        'task-and-server: which ready tasks (with a valid server) are the candidates: level-1 (the first `candidates` in level-1 order) or level-1-and-shortest (the first ceil(candidates / 2) in level-1 order, then the shortest of the rest, so the shortest ready task is always offered)',
      ),
  })
  .strict();
export type EnvConfig = z.output<typeof EnvConfigSchema>;
export type EnvConfigInput = z.input<typeof EnvConfigSchema>;

export function resolveEnvConfig(input: EnvConfigInput = {}): EnvConfig {
  const config = parseConfig(EnvConfigSchema, input, 'config');
  if (config.servers === undefined) return config;
  // Explicit servers fix N (as in `@scale/sim`'s config): `nodes` may repeat it, never contradict it.
  const count = config.servers.length;
  const given = input.nodes;
  if (given !== undefined && (typeof given === 'number' ? given !== count : given.some((n) => n !== count))) {
    throw new ConfigError('config.nodes', `${count} (the number of servers given) or absent`, given);
  }
  return { ...config, nodes: count };
}
