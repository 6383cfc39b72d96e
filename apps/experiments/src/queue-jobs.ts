import { createHash } from 'node:crypto';
import { EnvConfigSchema } from '@scale/env';
import { BACKENDS } from '@scale/model';
import { ConfigError, MAX_SERVERS, parseConfig } from '@scale/workload';
import { z } from 'zod';
import type { EvaluateJob, Job, TrainJob } from './plan.js';
import { TrainConfigSchema } from './train-config.js';

/** The queue of train and evaluate jobs (run in a sandboxed process on a worker). */
export const JOBS_QUEUE = 'scale-jobs';
/** The queue of release jobs: the parent of a train job in its flow, which queues the run's evaluations once it has finished. */
export const RELEASE_QUEUE = 'scale-release';

/** A job payload or result read from Redis that is not one of the typed kinds (or names a path outside its artifacts). */
export class QueuePayloadError extends Error {
  constructor(
    /** What was read: `train job`, `evaluate job result`, ... */
    readonly what: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`malformed ${what}: ${field}: expected ${expected}`);
    this.name = 'QueuePayloadError';
  }
}

/** One path segment: letters, digits, `.`, `_`, `-`, never `.` or `..`. */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;
const RUN_DIR = /^runs\/[^/]+\/[^/]+$/;
const EVALUATION_FILE = /^evaluations\/[^/]+\/[^/]+\.json$/;

/** A relative path of safe segments (no `..`, not absolute), matching `shape`. */
function safePath(shape: RegExp, description: string) {
  return z.string().refine((path) => shape.test(path) && path.split('/').every((segment) => SEGMENT.test(segment)), `a relative path ${description} without ".." segments`);
}

/** A workload read by a worker: the paper's generator, or a WfFormat path relative to the worker's directory. */
const WorkloadSchema = z
  .string()
  .refine((value) => value === 'paper' || (/^wfformat:/.test(value) && value.slice(9).split('/').every((segment) => SEGMENT.test(segment))), 'paper or wfformat:RELATIVE-PATH (no ".." segments)');

const EvaluationEnvSchema = EnvConfigSchema.omit({ nodes: true, seed: true }).extend({ workload: WorkloadSchema.optional() });

const TrainJobSchema = z.strictObject({
  kind: z.literal('train'),
  id: z.string().min(1).max(500),
  dir: safePath(RUN_DIR, 'runs/REGIME/RUN'),
  config: TrainConfigSchema.extend({ env: EnvConfigSchema.omit({ nodes: true, seed: true, invalidAction: true }).extend({ workload: WorkloadSchema.optional() }).partial().optional() }),
  label: z.string().max(500),
});

const EvaluatedPolicySchema = z.union([
  z.strictObject({ heuristic: z.string().min(1).max(100) }),
  z.strictObject({ run: safePath(RUN_DIR, 'runs/REGIME/RUN'), method: z.string().min(1).max(100), seed: z.number().int().min(0) }),
]);

const EvaluateJobSchema = z.strictObject({
  kind: z.literal('evaluate'),
  id: z.string().min(1).max(500),
  file: safePath(EVALUATION_FILE, 'evaluations/SET/NAME.json'),
  policy: EvaluatedPolicySchema,
  env: EvaluationEnvSchema,
  nodes: z.number().int().min(1).max(MAX_SERVERS),
  episodes: z.number().int().min(1).max(100_000),
  features: z.boolean(),
  after: z.array(z.string().max(500)).max(100),
  label: z.string().max(500),
});

/**
 * How the queue treats a job: a job that throws is retried with exponential backoff (2, 4 s), then
 * recorded as failed; finished and failed jobs stay a week (a train job's result holds the model its
 * evaluations read; a rerun of the coordinator collects what finished while it was away).
 */
export const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** Training waits behind evaluations that can run (BullMQ runs jobs without a priority first), as in the local pool. */
export const TRAIN_PRIORITY = 1;

/** A file of a job's artifacts: its path relative to the reproduction's out dir, its bytes in base64. */
export interface ArtifactFile {
  readonly path: string;
  readonly data: string;
}

const ArtifactFileSchema = z.strictObject({
  path: z.string().min(1).max(500),
  data: z.base64(),
});

const ArtifactsSchema = z.array(ArtifactFileSchema).max(1_000);

/** A train job on the queue: the plan's job, with its full config and seed. */
export interface TrainPayload {
  readonly job: TrainJob;
}

/** An evaluate job on the queue: the plan's job, the backend, and the files of the run it evaluates (its config.json and model/). */
export interface EvaluatePayload {
  readonly job: EvaluateJob;
  readonly backend: (typeof BACKENDS)[number];
  /** Empty for a heuristic. */
  readonly run: readonly ArtifactFile[];
}

/** A release job: once its train job (its child in the flow) has finished, queues these evaluations with the run's files. */
export interface ReleasePayload {
  readonly train: TrainJob;
  readonly evaluations: readonly Omit<EvaluatePayload, 'run'>[];
}

/** What a train or evaluate job returns through Redis: its artifacts. */
export interface JobResult {
  readonly files: readonly ArtifactFile[];
}

const TrainPayloadSchema = z.strictObject({ job: TrainJobSchema });
const EvaluatePayloadSchema = z.strictObject({ job: EvaluateJobSchema, backend: z.enum(BACKENDS), run: ArtifactsSchema });
const ReleasePayloadSchema = z.strictObject({
  train: TrainJobSchema,
  evaluations: z.array(z.strictObject({ job: EvaluateJobSchema, backend: z.enum(BACKENDS) })).max(10_000),
});
const JobResultSchema = z.strictObject({ files: ArtifactsSchema });

function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): void {
  try {
    parseConfig(schema, value, 'data');
  } catch (error) {
    if (error instanceof ConfigError) throw new QueuePayloadError(what, error.field, error.expected);
    throw error;
  }
}

/**
 * Validates a payload read from Redis. Returns it as read (validated, not rewritten: a config's
 * defaults are filled in by training as they are locally, and key order stays the plan's).
 */
export function parseTrainPayload(value: unknown): TrainPayload {
  validate(TrainPayloadSchema, value, 'train job');
  return value as TrainPayload;
}

export function parseEvaluatePayload(value: unknown): EvaluatePayload {
  validate(EvaluatePayloadSchema, value, 'evaluate job');
  const payload = value as EvaluatePayload;
  const policy = payload.job.policy;
  if ('run' in policy) {
    if (payload.run.length === 0) throw new QueuePayloadError('evaluate job', 'data.run', `the files of ${policy.run}`);
    checkArtifacts(payload.run, policy.run, 'evaluate job', 'data.run');
  } else if (payload.run.length > 0) throw new QueuePayloadError('evaluate job', 'data.run', 'no files (a heuristic)');
  return payload;
}

export function parseReleasePayload(value: unknown): ReleasePayload {
  validate(ReleasePayloadSchema, value, 'release job');
  const payload = value as ReleasePayload;
  payload.evaluations.forEach((evaluation, index) => {
    const policy = evaluation.job.policy;
    if (!('run' in policy) || policy.run !== payload.train.dir) throw new QueuePayloadError('release job', `data.evaluations.${index}.job.policy.run`, payload.train.dir);
  });
  return payload;
}

/**
 * Validates a job's result read from Redis: every file lies under the job's own artifacts (a train
 * job's run directory, outside its checkpoint; an evaluate job's result file), with no `..`.
 */
export function parseJobResult(value: unknown, job: Job): JobResult {
  const what = `${job.kind} job result`;
  validate(JobResultSchema, value, what);
  const result = value as JobResult;
  if (job.kind === 'train') checkArtifacts(result.files, job.dir, what, 'files');
  else if (result.files.length !== 1 || result.files[0]?.path !== job.file) throw new QueuePayloadError(what, 'files', `exactly ${job.file}`);
  return result;
}

/** Files of a run: relative paths of safe segments under `dir`, never in its `checkpoint/`. */
export function checkArtifacts(files: readonly ArtifactFile[], dir: string, what: string, field: string): void {
  files.forEach((file, index) => {
    const inside = file.path.startsWith(`${dir}/`) ? file.path.slice(dir.length + 1) : '';
    const segments = inside.split('/');
    const ok = inside !== '' && segments.every((segment) => SEGMENT.test(segment)) && segments[0] !== 'checkpoint';
    if (!ok) throw new QueuePayloadError(what, `${field}.${index}.path`, `a file under ${dir}/ (outside checkpoint/, no ".." segments), not ${JSON.stringify(file.path.slice(0, 200))}`);
  });
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/**
 * A job's id on the queue: a digest of its full settings, so the same job planned again (a rerun,
 * another coordinator) is the same queue job and is never run twice. BullMQ ids cannot hold `:`.
 */
export function queueJobId(job: Job): string {
  return `${job.kind}-${digest(job)}`;
}

/** The id of the release job of a train job. */
export function releaseJobId(train: TrainJob): string {
  return `release-${digest(train)}`;
}
