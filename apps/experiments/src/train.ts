import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Agent, type Callback, DAgger, DaggerConfigSchema, DQN, type EpochMetrics, type Method, PPO, recoverCheckpoint, SAC } from '@scale/agents';
import { RolloutExpert, VectorEnv } from '@scale/env';
import { saveNetwork, useBackend } from '@scale/model';
import { parseConfig } from '@scale/workload';
import { NothingToResumeError, ResumeMismatchError, RunExistsError } from './errors.js';
import { sameJson } from './internal/same-json.js';
import { RUN_RECORD_FILE, readRunRecord, writeRunRecord } from './run-record.js';
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './train-config.js';

// The config's schema has its own module (the run record reads it too); kept importable from here.
export { resolveTrainConfig, TrainConfigSchema } from './train-config.js';
export type { TrainConfig, TrainConfigInput } from './train-config.js';

/** Builds the agent a config describes, on a fresh vector env. */
export function makeAgent(config: TrainConfig & { resolvedMethod: Method }): Agent {
  const method = config.resolvedMethod;
  const env = new VectorEnv(config.envs, { ...config.env, ...(method.env ?? {}), nodes: config.nodes, seed: config.seed, invalidAction: config.invalidAction });
  const common = { seed: config.seed, mask: config.invalidAction === 'mask', model: { servers: config.nodes } };
  if (method.agent === 'ppo') return new PPO(env, method, { ...common, config: config.ppo });
  if (method.agent === 'dqn') return new DQN(env, method, { ...common, config: config.dqn });
  if (method.agent === 'dagger') {
    // The clairvoyant rollout labels each env's pending decision on that env's own episode.
    const dagger = parseConfig(DaggerConfigSchema, config.dagger ?? {}, 'dagger');
    const expert = new RolloutExpert({ bases: dagger.bases, field: 'dagger.bases' });
    return new DAgger(env, method, { ...common, config: dagger, expert: expert.forEnvs(env) });
  }
  return new SAC(env, method, { ...common, config: config.sac });
}

/** The network a trained agent acts with (saved as `model/`). */
export function actingNetwork(agent: Agent) {
  if (agent instanceof PPO) return agent.network;
  if (agent instanceof DQN) return agent.network;
  if (agent instanceof DAgger) return agent.network;
  if (agent instanceof SAC) return agent.actor;
  throw new Error('unknown agent');
}

/**
 * Trains one run into `outDir`: `config.json` (the run record: resolved config, backend, versions,
 * wall time), `metrics.csv`/`metrics.jsonl`, `checkpoint/` and the final `model/`. With `resume`,
 * continues from `outDir/checkpoint` (same config required).
 */
export async function train(
  input: TrainConfigInput,
  outDir: string,
  options: { resume?: boolean; callbacks?: readonly Callback[]; versions?: Record<string, string> } = {},
): Promise<{ agent: Agent; last: EpochMetrics | null; wallSeconds: number }> {
  const config = resolveTrainConfig(input);
  await useBackend(config.backend);
  await mkdir(outDir, { recursive: true });
  // recoverCheckpoint: a kill between the checkpoint swap's two renames leaves a complete copy beside it.
  const hasCheckpoint = await recoverCheckpoint(join(outDir, 'checkpoint'));
  if (options.resume) {
    if (!hasCheckpoint) throw new NothingToResumeError(outDir);
    const previous = await readRunRecord(outDir);
    const { epochs: _a, ...before } = previous?.config ?? {};
    const { epochs: _b, resolvedMethod: _m, ...now } = config;
    if (!sameJson(before, now)) throw new ResumeMismatchError(join(outDir, RUN_RECORD_FILE));
  } else if (hasCheckpoint) {
    throw new RunExistsError(outDir);
  }
  const agent = makeAgent(config);
  if (options.resume) await agent.load(join(outDir, 'checkpoint'));
  const started = Date.now();
  const { resolvedMethod, ...recorded } = config;
  const startedAt = new Date(started).toISOString();
  const base = { config: recorded, method: resolvedMethod, backend: config.backend, node: process.version, versions: options.versions ?? {}, startedAt };
  await writeRunRecord(outDir, base);
  const summary = await agent.learn({ epochs: config.epochs, outDir, checkpointEvery: config.checkpointEvery, callbacks: options.callbacks ?? [] });
  await saveNetwork(actingNetwork(agent), join(outDir, 'model'));
  const wallSeconds = (Date.now() - started) / 1000;
  await writeRunRecord(outDir, { ...base, wallSeconds, epochsDone: summary.epochs, globalStep: summary.globalStep });
  return { agent, last: summary.last, wallSeconds };
}
