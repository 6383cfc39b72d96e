import { SimConfigSchema } from '@scale/sim';
import { MAX_SERVERS, parseConfig } from '@scale/workload';
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

/**
 * The env's config: the `scale-sim` flags in camelCase, plus `nodes` as a fixed N or a list to
 * sample from at each reset, the reward constants and the feature scales.
 */
export const EnvConfigSchema = SimConfigSchema.omit({ nodes: true, seed: true })
  .extend({
    nodes: z.union([z.number().int().min(1).max(MAX_SERVERS), z.array(z.number().int().min(1).max(MAX_SERVERS)).min(1)]).default(16),
    /** Seed of the first reset when `reset()` is called without one. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    reward: RewardConfigSchema.prefault({}),
    features: FeatureScalesSchema.prefault({}),
  })
  .strict();
export type EnvConfig = z.output<typeof EnvConfigSchema>;
export type EnvConfigInput = z.input<typeof EnvConfigSchema>;

export function resolveEnvConfig(input: EnvConfigInput = {}): EnvConfig {
  return parseConfig(EnvConfigSchema, input, 'config');
}
