import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FeatureBuffer, policyFromNetwork, recoverCheckpoint } from '@scale/agents';
import { loadNetwork } from '@scale/model';
import { Rng } from '@scale/workload';
import { type FeatureStatistics, featureStatistics } from '@scale/srr';
import { ResultFileError, RunRecordError, StaleResultError } from './errors.js';
import { sameJson } from './internal/same-json.js';
import { type EvaluationSummary, evaluateChooser, evaluateHeuristic } from './evaluate.js';
import { type EvaluateJob, type Job, policyKey, type TrainJob } from './plan.js';
import { RUN_RECORD_FILE, type RunRecord, readRunRecord } from './run-record.js';
import { train } from './train.js';
import { methodEnv, resolveTrainConfig } from './train-config.js';

/** What a worker reports while a job runs (drives the progress bars and log lines). */
export interface JobProgress {
  readonly done: number;
  readonly total: number;
  /** Training: env steps/s and the mean reward of the last epoch. */
  readonly stepsPerSec?: number;
  readonly meanReward?: number;
}

export interface JobHooks {
  readonly progress: (progress: JobProgress) => void;
  /** True once the user asked to stop (Ctrl-C): training checkpoints and returns early. */
  readonly stopRequested: () => boolean;
  readonly versions: Record<string, string>;
}

/** Feature statistics as evaluation files hold them: files written before the correlation and the effective rank were gathered lack both. */
export type RecordedFeatureStatistics = Omit<FeatureStatistics, 'meanAbsCorrelation' | 'effectiveRank'> & Partial<Pick<FeatureStatistics, 'meanAbsCorrelation' | 'effectiveRank'>>;

/** An evaluation's result file. */
export interface EvaluationRecord {
  readonly job: EvaluateJob;
  readonly summary: EvaluationSummary;
  /** Table 5's statistics of the attention features of every decision; null when not gathered. */
  readonly features: RecordedFeatureStatistics | null;
  readonly wallSeconds: number;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes JSON through a temporary file and a rename, so a result file is either whole or absent. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * A config resolved (again) with today's defaults, to compare a run record with the plan: a run
 * recorded before a setting existed (issue 14's env and agent settings, say) gets that setting's
 * default, which is what it ran with, so it still matches a plan that spells the default out. A
 * recorded value is never replaced.
 */
function resolvedAgain(config: RunRecord['config']): unknown {
  try {
    const { resolvedMethod: _method, ...resolved } = resolveTrainConfig(config);
    return resolved;
  } catch {
    return config;
  }
}

/** True when a training run has its final model and recorded all of its planned epochs, with the planned config. */
export async function trainingFinished(outDir: string, job: TrainJob): Promise<boolean> {
  const dir = join(outDir, job.dir);
  if (!(await exists(join(dir, 'model')))) return false;
  let record: RunRecord | null;
  try {
    record = await readRunRecord(dir);
  } catch (error) {
    if (!(error instanceof RunRecordError)) throw error;
    // Cut short by a kill: not finished (the run starts over or resumes). Not a record of these settings: stale.
    if (error.problem === 'unreadable') return false;
    throw new StaleResultError(dir);
  }
  if (record === null) return false;
  const { resolvedMethod, ...planned } = resolveTrainConfig(job.config);
  if (!sameJson(record.config, planned) && !sameJson(resolvedAgain(record.config), resolvedAgain(planned))) throw new StaleResultError(dir);
  // A preset names a method whose definition can change (e.g. scale-rt gaining return normalization):
  // a run of the old definition is not a run of this one.
  if (!sameJson(record.method, resolvedMethod)) throw new StaleResultError(dir);
  return record.epochsDone !== undefined && record.epochsDone === record.config.epochs;
}

/** What identifies an evaluation's settings (the label and dependencies may change without changing the result). */
function evaluationSettings(job: EvaluateJob): unknown {
  return { policy: job.policy, env: job.env, nodes: job.nodes, episodes: job.episodes, features: job.features, seedBase: job.seedBase };
}

async function evaluationFinished(outDir: string, job: EvaluateJob): Promise<boolean> {
  const path = join(outDir, job.file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return false;
  }
  let recorded: EvaluateJob | undefined;
  try {
    recorded = (JSON.parse(text) as Partial<EvaluationRecord> | null)?.job;
  } catch (error) {
    throw new ResultFileError(path, (error as Error).message);
  }
  if (typeof recorded !== 'object' || recorded === null) throw new ResultFileError(path, 'no "job" object');
  if (!sameJson(evaluationSettings(recorded), evaluationSettings(job))) throw new StaleResultError(path);
  return true;
}

export async function jobFinished(outDir: string, job: Job): Promise<boolean> {
  return job.kind === 'train' ? trainingFinished(outDir, job) : evaluationFinished(outDir, job);
}

async function runTraining(outDir: string, job: TrainJob, hooks: JobHooks): Promise<void> {
  const dir = join(outDir, job.dir);
  const resume = await recoverCheckpoint(join(dir, 'checkpoint'));
  // No checkpoint: whatever a stopped attempt left (a config, the first epochs' metrics) starts over.
  if (!resume) await rm(dir, { recursive: true, force: true });
  const epochs = job.config.epochs ?? 1000;
  await train(job.config, dir, {
    resume,
    versions: hooks.versions,
    // Stops only at epoch ends: the checkpoint then holds whole epochs, and a resumed run gives the
    // numbers of an uninterrupted one (an epoch is about half a second).
    callbacks: [
      {
        onEpoch: (m) => {
          hooks.progress({ done: m.epoch, total: epochs, stepsPerSec: m.stepsPerSec, meanReward: m.meanReward });
          return hooks.stopRequested() ? false : undefined;
        },
      },
    ],
  });
}

function seedBaseOf(job: EvaluateJob): { seedBase?: number } {
  return job.seedBase === undefined ? {} : { seedBase: job.seedBase };
}

async function runEvaluation(outDir: string, job: EvaluateJob, hooks: JobHooks): Promise<void> {
  const started = Date.now();
  const onEpisode = (done: number, total: number) => hooks.progress({ done, total });
  let summary: EvaluationSummary;
  let features: FeatureStatistics | null = null;
  if ('heuristic' in job.policy) {
    summary = evaluateHeuristic(job.policy.heuristic, { env: job.env, nodes: job.nodes, episodes: job.episodes, onEpisode, ...seedBaseOf(job) });
  } else {
    const runDirectory = join(outDir, job.policy.run);
    const record = await readRunRecord(runDirectory);
    if (record === null) throw new RunRecordError(join(runDirectory, RUN_RECORD_FILE), 'unreadable', 'missing (the training run has not started)');
    const mask = record.config.invalidAction === 'mask';
    const network = await loadNetwork(join(runDirectory, 'model'));
    try {
      const buffer = job.features ? new FeatureBuffer(network.config.embedDim) : undefined;
      const mode = job.policy.mode ?? 'greedy';
      const policy = policyFromNetwork(network, { mask, mode, seed: 0, ...(buffer ? { features: buffer } : {}) });
      summary = evaluateChooser(policyKey(job.policy), policy.act, {
        env: { ...job.env, ...methodEnv(record.config.method), invalidAction: record.config.invalidAction },
        nodes: job.nodes,
        episodes: job.episodes,
        onEpisode,
        ...seedBaseOf(job),
        // A sampling policy starts each episode from that episode's own stream.
        ...(mode === 'sample' ? { onReset: (seed: number) => void (policy.rng = new Rng(seed).child('eval:sample')) } : {}),
      });
      if (buffer !== undefined && buffer.samples >= 2) features = featureStatistics(buffer.values(), buffer.dimensions);
    } finally {
      network.dispose();
    }
  }
  if (hooks.stopRequested()) return;
  const result: EvaluationRecord = { job, summary, features, wallSeconds: (Date.now() - started) / 1000 };
  await writeJsonAtomic(join(outDir, job.file), result);
}

/** Runs one job to completion (or to a requested stop: training leaves a checkpoint, evaluation writes nothing). */
export async function runJob(outDir: string, job: Job, hooks: JobHooks): Promise<void> {
  if (job.kind === 'train') await runTraining(outDir, job, hooks);
  else await runEvaluation(outDir, job, hooks);
}
