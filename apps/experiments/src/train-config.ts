import { DqnConfigSchema, type Method, MethodSchema, PpoConfigSchema, resolveMethod, SacConfigSchema } from '@scale/agents';
import { EnvConfigSchema } from '@scale/env';
import { BACKENDS } from '@scale/model';
import { parseConfig } from '@scale/workload';
import { z } from 'zod';

/** A training run's whole configuration (what `config.json` records, resolved). */
export const TrainConfigSchema = z
  .object({
    /** A preset name (scale, crossattn, ppo, ppo-srr, dqn, sac, dqn-crossattn, sac-crossattn) or `{ agent, encoder, srr }`. */
    method: z.union([z.string(), MethodSchema]).default('scale'),
    /** Training cluster size N (the paper: 16). */
    nodes: z.number().int().min(1).max(100_000).default(16),
    /** Seed of networks, agent streams and training episodes (the paper: 42). */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    /** Total epochs (the paper: 1,000 x 1,024 steps). */
    epochs: z.number().int().min(1).max(1_000_000).default(1000),
    /** Parallel envs (the paper: 4). */
    envs: z.number().int().min(1).max(256).default(4),
    backend: z.enum(BACKENDS).default('wasm'),
    /** Invalid actions: penalized (the paper's reward r_invalid) or masked. */
    invalidAction: z.enum(['penalize', 'mask']).default('penalize'),
    /** Env and simulator settings (the `scale-sim` flags in camelCase, reward, features). */
    env: EnvConfigSchema.omit({ nodes: true, seed: true, invalidAction: true }).partial().default({}),
    ppo: PpoConfigSchema.partial().default({}),
    dqn: DqnConfigSchema.partial().default({}),
    sac: SacConfigSchema.partial().default({}),
    checkpointEvery: z.number().int().min(1).default(10),
  })
  .strict();
export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** Parses a training config (a `ConfigError` names the bad field) and resolves its method preset. */
export function resolveTrainConfig(input: TrainConfigInput): TrainConfig & { resolvedMethod: Method } {
  const config = parseConfig(TrainConfigSchema, input, 'config');
  return { ...config, resolvedMethod: resolveMethod(config.method) };
}
