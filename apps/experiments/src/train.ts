import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Agent, type Callback, DQN, DqnConfigSchema, type EpochMetrics, type Method, MethodSchema, PPO, PpoConfigSchema, resolveMethod, SAC, SacConfigSchema } from '@scale/agents';
import { EnvConfigSchema, VectorEnv } from '@scale/env';
import { BACKENDS, saveNetwork, useBackend } from '@scale/model';
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

export function resolveTrainConfig(input: TrainConfigInput): TrainConfig & { resolvedMethod: Method } {
  const config = parseConfig(TrainConfigSchema, input, 'config');
  return { ...config, resolvedMethod: resolveMethod(config.method) };
}

/** Builds the agent a config describes, on a fresh vector env. */
export function makeAgent(config: TrainConfig & { resolvedMethod: Method }): Agent {
  const method = config.resolvedMethod;
  const env = new VectorEnv(config.envs, { ...config.env, nodes: config.nodes, seed: config.seed, invalidAction: config.invalidAction });
  const common = { seed: config.seed, mask: config.invalidAction === 'mask', model: { servers: config.nodes } };
  if (method.agent === 'ppo') return new PPO(env, method, { ...common, config: config.ppo });
  if (method.agent === 'dqn') return new DQN(env, method, { ...common, config: config.dqn });
  return new SAC(env, method, { ...common, config: config.sac });
}

/** The network a trained agent acts with (saved as `model/`). */
export function actingNetwork(agent: Agent) {
  if (agent instanceof PPO) return agent.network;
  if (agent instanceof DQN) return agent.network;
  if (agent instanceof SAC) return agent.actor;
  throw new Error('unknown agent');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Trains one run into `outDir`: `config.json` (resolved config, backend, versions, wall time),
 * `metrics.csv`/`metrics.jsonl`, `checkpoint/` and the final `model/`. With `resume`, continues from
 * `outDir/checkpoint` (same config required).
 */
export async function train(
  input: TrainConfigInput,
  outDir: string,
  options: { resume?: boolean; callbacks?: readonly Callback[]; versions?: Record<string, string> } = {},
): Promise<{ agent: Agent; last: EpochMetrics | null; wallSeconds: number }> {
  const config = resolveTrainConfig(input);
  await useBackend(config.backend);
  await mkdir(outDir, { recursive: true });
  const configPath = join(outDir, 'config.json');
  if (options.resume) {
    if (!(await exists(join(outDir, 'checkpoint')))) throw new Error(`--resume: no checkpoint in ${outDir}`);
    const previous = JSON.parse(await readFile(configPath, 'utf8')) as { config: TrainConfig };
    const { epochs: _a, ...before } = previous.config;
    const { epochs: _b, resolvedMethod: _m, ...now } = config;
    if (JSON.stringify(before) !== JSON.stringify(now)) throw new Error(`--resume: the config differs from ${configPath}; resume with the same settings`);
  } else if (await exists(join(outDir, 'checkpoint'))) {
    throw new Error(`${outDir} already holds a run; pass --resume to continue it or choose another --out`);
  }
  const agent = makeAgent(config);
  if (options.resume) await agent.load(join(outDir, 'checkpoint'));
  const started = Date.now();
  const { resolvedMethod, ...recorded } = config;
  const record = (extra: Record<string, unknown>) =>
    writeFile(configPath, `${JSON.stringify({ config: recorded, method: resolvedMethod, backend: config.backend, node: process.version, versions: options.versions ?? {}, ...extra }, null, 2)}\n`);
  await record({ startedAt: new Date(started).toISOString() });
  const summary = await agent.learn({ epochs: config.epochs, outDir, checkpointEvery: config.checkpointEvery, callbacks: options.callbacks ?? [] });
  await saveNetwork(actingNetwork(agent), join(outDir, 'model'));
  const wallSeconds = (Date.now() - started) / 1000;
  await record({ startedAt: new Date(started).toISOString(), wallSeconds, epochsDone: summary.epochs, globalStep: summary.globalStep });
  return { agent, last: summary.last, wallSeconds };
}
