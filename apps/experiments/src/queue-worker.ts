import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue, type Job as QueueJob, UnrecoverableError, Worker } from 'bullmq';
import { connectionOptions, isConnectionError, type QueueConnection, QueueUnavailableError, redact, unavailableReason } from './queue-connection.js';
import {
  type ArtifactFile,
  type EvaluatePayload,
  JOB_OPTIONS,
  JOBS_QUEUE,
  parseJobResult,
  parseReleasePayload,
  QueuePayloadError,
  queueJobId,
  RELEASE_QUEUE,
} from './queue-jobs.js';
import { RUN_RECORD_FILE } from './run-record.js';

export interface QueueWorkerOptions {
  readonly connection: QueueConnection;
  /** Jobs run at once, each in its own process (one per core). */
  readonly concurrency: number;
  /**
   * Seconds a job's lock lasts without renewal: a worker that is killed or loses its machine has its
   * job taken up by another worker about this long after (BullMQ's stalled-job check).
   */
  readonly lockSeconds: number;
  /** One line per event (job started, done, failed, rejected); never holds the Redis password. */
  readonly log: (line: string) => void;
  /** Resolves when the worker should stop: running jobs finish first, no new job starts. */
  readonly stopSignal: Promise<void>;
}

/** The sandboxed processor beside this module (`dist/queue-processor.js`), also when running from source (tests). */
export function queueProcessorScript(): string {
  const beside = fileURLToPath(new URL('./queue-processor.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../dist/queue-processor.js', import.meta.url));
}

/** The run files an evaluation reads: the run record and the final model (not the metrics). */
export function filesForEvaluation(files: readonly ArtifactFile[], runDirectory: string): ArtifactFile[] {
  return files.filter((file) => file.path === `${runDirectory}/${RUN_RECORD_FILE}` || file.path.startsWith(`${runDirectory}/model/`));
}

/**
 * A release job: its train job (its only child in the flow) has finished; queue the run's
 * evaluations, each with the run's files. Ids are the jobs' own, so a release that runs twice (its
 * worker was lost) queues nothing twice.
 */
async function release(job: QueueJob, jobs: Queue): Promise<number> {
  let payload: ReturnType<typeof parseReleasePayload>;
  try {
    payload = parseReleasePayload(job.data);
  } catch (error) {
    if (error instanceof QueuePayloadError) throw new UnrecoverableError(error.message);
    throw error;
  }
  const values = Object.values(await job.getChildrenValues());
  if (values.length !== 1) throw new UnrecoverableError(`malformed release job: its flow has ${values.length} finished children, expected its train job`);
  let files: readonly ArtifactFile[];
  try {
    files = parseJobResult(values[0], payload.train).files;
  } catch (error) {
    if (error instanceof QueuePayloadError) throw new UnrecoverableError(error.message);
    throw error;
  }
  const run = filesForEvaluation(files, payload.train.dir);
  await jobs.addBulk(
    payload.evaluations.map((evaluation) => ({
      name: 'evaluate',
      data: { job: evaluation.job, backend: evaluation.backend, run } satisfies EvaluatePayload,
      opts: { ...JOB_OPTIONS, jobId: queueJobId(evaluation.job) },
    })),
  );
  return payload.evaluations.length;
}

function label(job: QueueJob | undefined): string {
  const data = job?.data as { job?: { label?: unknown }; train?: { label?: unknown } } | undefined;
  const text = data?.job?.label ?? (data?.train?.label !== undefined ? `release of ${String(data.train.label)}` : job?.id);
  return String(text).slice(0, 120);
}

/** Waits until Redis answers (bounded retries); otherwise one line naming the URL without its password. */
export async function waitForRedis(queue: Queue, connection: QueueConnection): Promise<void> {
  let lastError: unknown = null;
  const onError = (error: unknown) => {
    lastError = error;
  };
  queue.on('error', onError);
  try {
    await queue.waitUntilReady();
    // A command that needs the password: a wrong one fails here, not at the first job.
    await queue.getJobCounts('wait');
  } catch (error) {
    // The listener stays: the client may still report its last retries until the caller closes it.
    throw new QueueUnavailableError(connection.display, unavailableReason(lastError ?? error, connection));
  }
  queue.off('error', onError);
}

/**
 * `scale worker`: takes train and evaluate jobs from the queue and runs each in a sandboxed process
 * (`queue-processor.ts`) in a directory of its own; results go back through Redis. Also runs the
 * release jobs that queue a finished run's evaluations. Resolves once stopped; rejects with
 * `QueueUnavailableError` when Redis cannot be reached or is lost.
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const { connection } = options;
  const redis = connectionOptions(connection);
  const jobs = new Queue(JOBS_QUEUE, { connection: redis });
  let lost: QueueUnavailableError | null = null;
  let markLost: () => void = () => undefined;
  const lostSignal = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  const onLost = (error: unknown) => {
    // ioredis reports each failed reconnect and tries again; only the end of its bounded retries, or a refused password, is final.
    if (isConnectionError(error) && /Connection is closed|NOAUTH|WRONGPASS/.test(error instanceof Error ? error.message : '') && lost === null) {
      lost = new QueueUnavailableError(connection.display, unavailableReason(error, connection));
      markLost();
    }
  };
  try {
    await waitForRedis(jobs, connection);
  } catch (error) {
    await jobs.close().catch(() => undefined);
    throw error;
  }
  jobs.on('error', onLost);
  const lockDuration = options.lockSeconds * 1000;
  const common = { connection: redis, lockDuration, stalledInterval: Math.max(1000, Math.round(lockDuration / 2)), maxStalledCount: 2 };
  const computing = new Worker(JOBS_QUEUE, queueProcessorScript(), { ...common, concurrency: options.concurrency, useWorkerThreads: false });
  const releasing = new Worker(RELEASE_QUEUE, (job) => release(job, jobs), { ...common, concurrency: 1 });
  for (const worker of [computing, releasing]) {
    worker.on('error', onLost);
    worker.on('active', (job) => options.log(`started: ${label(job)}`));
    worker.on('completed', (job) => options.log(`done: ${label(job)}`));
    worker.on('failed', (job, error) => options.log(`failed: ${label(job)}: ${redact(error.message.split('\n')[0] ?? '', connection)}`));
  }
  options.log(`waiting for jobs on ${connection.display} (${options.concurrency} at a time)`);
  await Promise.race([options.stopSignal, lostSignal]);
  if (lost === null) options.log('stopping: running jobs finish first');
  await Promise.all([computing.close(lost !== null), releasing.close(lost !== null)]).catch(() => undefined);
  await jobs.close().catch(() => undefined);
  if (lost !== null) throw lost;
}
