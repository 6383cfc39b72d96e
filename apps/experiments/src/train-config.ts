import { DaggerConfigSchema, DqnConfigSchema, type Method, type MethodEnv, MethodSchema, PpoConfigSchema, resolveMethod, SacConfigSchema } from '@scale/agents';
import { EnvConfigSchema } from '@scale/env';
import { BACKENDS } from '@scale/model';
import { MAX_SERVERS, parseConfig } from '@scale/workload';
import { z } from 'zod';

/** The most training epochs one run may ask for (`scale train --epochs`, `scale reproduce --epochs`). */
export const MAX_EPOCHS = 1_000_000;

/** A training run's whole configuration (what `config.json` records, resolved). */
export const TrainConfigSchema = z
  .object({
    /** A preset name (`METHOD_PRESETS`: scale, crossattn, ppo, ppo-srr, dqn, sac, dqn-crossattn, sac-crossattn, scale-rt, crossattn-rt, scale-il, crossattn-il) or `{ agent, encoder, srr }`. */
    method: z.union([z.string(), MethodSchema]).default('scale').describe('a preset or { agent, encoder, srr }'),
    /** Training cluster size N (the paper: 16). */
    nodes: z.number().int().min(1).max(MAX_SERVERS).default(16).describe('training cluster size N'),
    /** Seed of networks, agent streams and training episodes (the paper: 42). */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42).describe('seed (networks, agent, training episodes)'),
    /** Total epochs (the paper: 1,000 x 1,024 steps). */
    epochs: z.number().int().min(1).max(MAX_EPOCHS).default(1000).describe('total epochs (1,024 env steps each with the paper sizes)'),
    /** Parallel envs (the paper: 4). */
    envs: z.number().int().min(1).max(256).default(4).describe('parallel envs'),
    backend: z.enum(BACKENDS).default('wasm').describe('tfjs backend'),
    /** Invalid actions: penalized (the paper's reward r_invalid) or masked. */
    invalidAction: z.enum(['penalize', 'mask']).default('penalize').describe('invalid-action handling: penalized (the reward r_invalid) or masked'),
    /** Env and simulator settings (the `scale-sim` flags in camelCase, reward, features). */
    env: EnvConfigSchema.omit({ nodes: true, seed: true, invalidAction: true }).partial().default({}),
    ppo: PpoConfigSchema.partial().default({}),
    dqn: DqnConfigSchema.partial().default({}),
    sac: SacConfigSchema.partial().default({}),
    /** DAgger's settings (imitation methods); optional, not defaulted, so the other runs' stored configs have no new key. */
    dagger: DaggerConfigSchema.partial().optional(),
    /** Epochs between checkpoints (what `--resume` continues from). */
    checkpointEvery: z.number().int().min(1).default(10).describe('epochs between checkpoints'),
  })
  .strict();
export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** Parses a training config (a `ConfigError` names the bad field) and resolves its method preset. */
export function resolveTrainConfig(input: TrainConfigInput): TrainConfig & { resolvedMethod: Method } {
  const config = parseConfig(TrainConfigSchema, input, 'config');
  return { ...config, resolvedMethod: resolveMethod(config.method) };
}

/**
 * The env settings a method's network was built for (`method.env`: objective, observation, actions,
 * defer, candidates; empty for the paper's methods). Whoever builds an env for a run lays them over
 * the run's own `env` settings, in training and in every evaluation, so the env and the network agree.
 */
export function methodEnv(method: TrainConfigInput['method']): MethodEnv {
  return resolveMethod(method ?? 'scale').env ?? {};
}
