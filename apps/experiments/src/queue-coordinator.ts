import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FlowProducer, Queue, type Job as QueueJob } from 'bullmq';
import { type JobProgress, jobFinished, writeJsonAtomic } from './jobs.js';
import type { EvaluateJob, Job, TrainJob } from './plan.js';
import type { PoolOptions, PoolResult } from './pool.js';
import { connectionOptions, isConnectionError, parseQueueUrl, type QueueConnection, QueueUnavailableError, redact, unavailableReason } from './queue-connection.js';
import {
  type ArtifactFile,
  type EvaluatePayload,
  JOB_OPTIONS,
  JOBS_QUEUE,
  type JobResult,
  parseJobResult,
  queueJobId,
  RELEASE_QUEUE,
  type ReleasePayload,
  releaseJobId,
  TRAIN_PRIORITY,
  type TrainPayload,
} from './queue-jobs.js';
import { filesForEvaluation, waitForRedis } from './queue-worker.js';

export interface QueueCoordinatorOptions extends Pick<PoolOptions, 'outDir' | 'backend' | 'reporter' | 'stopSignal'> {
  /** `redis://[:PASSWORD@]HOST[:PORT][/DB]` or `rediss://...` */
  readonly queueUrl: string;
  /** How often the queue's job states are read (default 500 ms). */
  readonly pollMs?: number;
}

type Failure = PoolResult['failed'][number];

/** A job's state on the queue (BullMQ's names; `unknown` when it is not there). */
type QueueState = Awaited<ReturnType<Queue['getJobState']>>;

const WAITING: ReadonlySet<string> = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'wait']);

/** Writes a file through a temporary file and a rename (whole or absent), as the local pool's results are. */
async function writeFileAtomic(path: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

/** Reads a finished run's files from the out dir (to send with its evaluations), without its checkpoint. */
async function runFilesFromDisk(outDir: string, runDirectory: string): Promise<ArtifactFile[]> {
  const files: ArtifactFile[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(join(outDir, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push({ path, data: (await readFile(join(outDir, path))).toString('base64') });
    }
  };
  await walk(`${runDirectory}/model`);
  files.push({ path: `${runDirectory}/config.json`, data: (await readFile(join(outDir, runDirectory, 'config.json'))).toString('base64') });
  return filesForEvaluation(files, runDirectory);
}

/**
 * Writes a finished job's artifacts into the out dir in the local pool's layout: a run's files with
 * its record (`config.json`) last, so a run is finished only once whole; an evaluation's record with
 * the plan's own job in it, as the local pool writes it.
 */
async function writeResult(outDir: string, job: Job, result: JobResult): Promise<void> {
  if (job.kind === 'evaluate') {
    const file = result.files[0] as ArtifactFile;
    const record = JSON.parse(Buffer.from(file.data, 'base64').toString('utf8')) as Record<string, unknown>;
    await writeJsonAtomic(join(outDir, job.file), { ...record, job });
    return;
  }
  const last = `${job.dir}/config.json`;
  const ordered = [...result.files.filter((file) => file.path !== last), ...result.files.filter((file) => file.path === last)];
  for (const file of ordered) await writeFileAtomic(join(outDir, file.path), Buffer.from(file.data, 'base64'));
}

/**
 * Runs jobs on a BullMQ queue in Redis instead of local worker processes: a drop-in for `runJobs`
 * (same jobs, same progress, same result, same out dir layout). Each train job is queued in a flow
 * under a release job, which queues the run's evaluations once it has finished; heuristic
 * evaluations are queued alone. Workers (`scale worker`) on any machine run them and return the
 * artifacts through Redis; this writes them into `--out`. Jobs finished in `--out` are neither
 * queued nor run; jobs that finished on the queue while no coordinator ran are collected; jobs that
 * failed in an earlier invocation are retried. Stopping (Ctrl-C) stops waiting: queued jobs go on
 * running on the workers, and the next invocation collects them.
 */
export async function runJobsOnQueue(jobs: readonly Job[], options: QueueCoordinatorOptions): Promise<PoolResult> {
  const connection = parseQueueUrl(options.queueUrl);
  const redis = connectionOptions(connection);
  const queue = new Queue(JOBS_QUEUE, { connection: redis });
  try {
    // One connection first: an unreachable Redis or a wrong password fails here, once, in one line.
    await waitForRedis(queue, connection);
  } catch (error) {
    await queue.close().catch(() => undefined);
    throw error;
  }
  // The client reconnects by itself (a bounded number of times); a lost Redis shows in the next command.
  const ignore = () => undefined;
  queue.on('error', ignore);
  const releases = new Queue(RELEASE_QUEUE, { connection: redis });
  releases.on('error', ignore);
  const flows = new FlowProducer({ connection: redis });
  flows.on('error', ignore);
  try {
    return await coordinate(jobs, options, { queue, releases, flows, connection });
  } catch (error) {
    if (isConnectionError(error)) throw new QueueUnavailableError(connection.display, unavailableReason(error, connection));
    throw error;
  } finally {
    await Promise.all([queue.close(), releases.close(), flows.close()]).catch(() => undefined);
  }
}

interface Handles {
  readonly queue: Queue;
  readonly releases: Queue;
  readonly flows: FlowProducer;
  readonly connection: QueueConnection;
}

async function coordinate(jobs: readonly Job[], options: QueueCoordinatorOptions, handles: Handles): Promise<PoolResult> {
  const { queue, releases, flows, connection } = handles;
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const finished = new Set<string>();
  for (const job of jobs) if (await jobFinished(options.outDir, job)) finished.add(job.id);
  const alreadyFinished = finished.size;
  const pending = new Map(jobs.filter((job) => !finished.has(job.id)).map((job) => [job.id, job]));
  const failed: Failure[] = [];
  const failedIds = new Set<string>();
  const blocked: string[] = [];
  // Running jobs and the progress bar each drives (the lowest free one, as a worker slot locally).
  const slots = new Map<string, number>();
  const lastProgress = new Map<string, string>();
  // When each running job's current attempt started (a new time: it was started again).
  const started = new Map<string, string>();
  let stopping = false;
  void options.stopSignal.then(() => {
    stopping = true;
  });
  options.reporter.begin(jobs.length, alreadyFinished);

  const train = (job: EvaluateJob) => byId.get(job.after[0] ?? '') as TrainJob | undefined;
  const evaluationsOf = (job: TrainJob) => [...pending.values()].filter((e): e is EvaluateJob => e.kind === 'evaluate' && e.after.includes(job.id));
  const releasePayload = (job: TrainJob): ReleasePayload => ({ train: job, evaluations: evaluationsOf(job).map((e) => ({ job: e, backend: options.backend as EvaluatePayload['backend'] })) });

  const addFlow = async (job: TrainJob) => {
    await flows.add({
      name: 'release',
      queueName: RELEASE_QUEUE,
      data: releasePayload(job),
      opts: { ...JOB_OPTIONS, jobId: releaseJobId(job) },
      children: [{ name: 'train', queueName: JOBS_QUEUE, data: { job } satisfies TrainPayload, opts: { ...JOB_OPTIONS, jobId: queueJobId(job), priority: TRAIN_PRIORITY } }],
    });
  };
  const addEvaluation = async (job: EvaluateJob, run: readonly ArtifactFile[]) => {
    const payload: EvaluatePayload = { job, backend: options.backend as EvaluatePayload['backend'], run };
    await queue.add('evaluate', payload, { ...JOB_OPTIONS, jobId: queueJobId(job) });
  };

  /** Queues a job the queue does not hold. */
  const enqueue = async (job: Job) => {
    if (job.kind === 'train') return addFlow(job);
    const run = train(job);
    if (run === undefined) return addEvaluation(job, []);
    const releaseState = await releases.getJobState(releaseJobId(run));
    if (releaseState !== 'unknown' && releaseState !== 'completed' && releaseState !== 'failed') return; // its release will queue it
    if (finished.has(run.id)) return addEvaluation(job, await runFilesFromDisk(options.outDir, run.dir));
    const trained = await queue.getJob(queueJobId(run));
    if (trained !== undefined && (await trained.getState()) === 'completed') return addEvaluation(job, filesForEvaluation(parseJobResult(trained.returnvalue, run).files, run.dir));
    if (releaseState === 'unknown') return addFlow(run);
  };

  const settle = (job: Job, status: 'done' | 'failed', message = '') => {
    pending.delete(job.id);
    slots.delete(job.id);
    lastProgress.delete(job.id);
    if (status === 'done') finished.add(job.id);
    else {
      failed.push({ id: job.id, label: job.label, message });
      failedIds.add(job.id);
    }
    options.reporter.finish(job, status, message);
  };

  const freeSlot = () => {
    const used = new Set(slots.values());
    let slot = 0;
    while (used.has(slot)) slot += 1;
    return slot;
  };

  let first = true;
  while (pending.size > 0 && !stopping) {
    for (const job of [...pending.values()]) {
      const id = queueJobId(job);
      const state: QueueState = await queue.getJobState(id);
      if (state === 'completed') {
        const done = (await queue.getJob(id)) as QueueJob;
        await writeResult(options.outDir, job, parseJobResult(done.returnvalue, job));
        settle(job, 'done');
      } else if (state === 'failed') {
        const gone = (await queue.getJob(id)) as QueueJob;
        // Failed in an earlier invocation: run it again, as the local pool would.
        if (first) await gone.retry('failed');
        else settle(job, 'failed', redact((gone.failedReason ?? 'failed').split('\n')[0] ?? '', connection));
      } else if (state === 'active') {
        const active = await queue.getJob(id);
        const attempt = `${active?.processedOn ?? 0}`;
        if (slots.has(job.id) && started.get(job.id) !== attempt) {
          // Started again between two polls: its worker was lost, or it threw and is retried.
          slots.delete(job.id);
          options.reporter.message(`${job.label}: back on the queue (its worker was lost or it threw) and started again`);
        }
        if (!slots.has(job.id)) {
          const slot = freeSlot();
          slots.set(job.id, slot);
          started.set(job.id, attempt);
          lastProgress.delete(job.id);
          options.reporter.start(job, slot);
        }
        const progress = active?.progress;
        if (typeof progress === 'object' && progress !== null && 'done' in progress) {
          const text = JSON.stringify(progress);
          if (lastProgress.get(job.id) !== text) {
            lastProgress.set(job.id, text);
            options.reporter.progress(job, progress as unknown as JobProgress);
          }
        }
      } else if (state === 'unknown') {
        await enqueue(job);
      } else if (WAITING.has(state) && slots.has(job.id)) {
        slots.delete(job.id);
        options.reporter.message(`${job.label}: back on the queue (its worker was lost or it threw)`);
      }
    }
    first = false;
    // Evaluations of a run that failed cannot run.
    for (const job of [...pending.values()]) {
      if (job.kind === 'evaluate' && job.after.some((id) => failedIds.has(id))) {
        pending.delete(job.id);
        blocked.push(job.id);
      }
    }
    if (pending.size > 0) await Promise.race([new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500)), options.stopSignal]);
  }
  if (stopping && pending.size > 0) options.reporter.message('stopping: queued jobs go on running on the workers; rerun to collect them');
  options.reporter.end();
  return { finished: finished.size, ranNow: finished.size - alreadyFinished, failed, blocked, stopped: stopping && pending.size > 0 };
}
