/**
 * The processor of `scale worker`'s train and evaluate jobs. BullMQ runs it sandboxed, in a child
 * process of the worker: training and evaluation keep that process's event loop busy for seconds,
 * while the worker's own loop keeps renewing the job's lock (a lock that lapses means a lost worker).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { useBackend } from '@scale/model';
import { type SandboxedJob, UnrecoverableError } from 'bullmq';
import { versions } from './internal/cli-options.js';
import { runJob } from './jobs.js';
import type { Job } from './plan.js';
import { type ArtifactFile, type JobResult, parseEvaluatePayload, parseTrainPayload, QueuePayloadError } from './queue-jobs.js';

// The worker went away (kill -9, machine lost): its job is the queue's again, so stop computing it.
process.on('disconnect', () => process.exit(1));

/** Every file under `dir` (relative to `root`), except a training checkpoint: that stays on the worker. */
async function collect(root: string, dir: string): Promise<ArtifactFile[]> {
  const files: ArtifactFile[] = [];
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'checkpoint') files.push(...(await collect(root, path)));
    } else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
      files.push({ path, data: (await readFile(join(root, path))).toString('base64') });
    }
  }
  return files;
}

async function writeArtifacts(root: string, files: readonly ArtifactFile[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(root, file.path)), { recursive: true });
    await writeFile(join(root, file.path), Buffer.from(file.data, 'base64'));
  }
}

/** Validates the payload; a malformed one fails at once (a retry would read the same bytes). */
function payloadOf(job: SandboxedJob): { job: Job; backend: string | null; run: readonly ArtifactFile[] } {
  try {
    if (job.name === 'train') return { job: parseTrainPayload(job.data).job, backend: null, run: [] };
    if (job.name === 'evaluate') {
      const payload = parseEvaluatePayload(job.data);
      return { job: payload.job, backend: payload.backend, run: payload.run };
    }
    throw new QueuePayloadError('job', 'name', `train or evaluate, not ${JSON.stringify(String(job.name).slice(0, 50))}`);
  } catch (error) {
    if (error instanceof QueuePayloadError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/** Runs one job in a fresh directory of its own and returns its artifacts (no filesystem is shared with the coordinator). */
export default async function processQueueJob(sandboxed: SandboxedJob): Promise<JobResult> {
  const { job, backend, run } = payloadOf(sandboxed);
  if (backend !== null) await useBackend(backend);
  const root = await mkdtemp(join(tmpdir(), 'scale-worker-'));
  try {
    await writeArtifacts(root, run);
    await runJob(root, job, {
      versions: versions(),
      stopRequested: () => false,
      progress: (progress) => {
        void sandboxed.updateProgress({ ...progress });
      },
    });
    const files = job.kind === 'train' ? await collect(root, job.dir) : [{ path: job.file, data: (await readFile(join(root, job.file))).toString('base64') }];
    return { files };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
