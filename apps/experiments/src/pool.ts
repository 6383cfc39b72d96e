import { type ChildProcess, fork } from 'node:child_process';
import { type JobProgress, jobFinished } from './jobs.js';
import type { Job } from './plan.js';
import type { Reporter } from './progress.js';

/** Parent -> worker. */
export type ParentMessage = { readonly type: 'run'; readonly job: Job; readonly outDir: string } | { readonly type: 'stop' } | { readonly type: 'exit' };
/** Worker -> parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly id: string; readonly progress: JobProgress }
  | { readonly type: 'done'; readonly id: string }
  | { readonly type: 'stopped'; readonly id: string }
  | { readonly type: 'failed'; readonly id: string; readonly message: string };

export interface PoolOptions {
  readonly outDir: string;
  /** Worker processes (each runs one job at a time on one core). */
  readonly workers: number;
  readonly backend: string;
  readonly versions: Record<string, string>;
  /** The worker entry (`dist/worker.js`). */
  readonly workerScript: string;
  readonly reporter: Reporter;
  /** Resolves when the user asks to stop (Ctrl-C); running jobs then checkpoint and no new job starts. */
  readonly stopSignal: Promise<void>;
}

export interface PoolResult {
  /** Jobs finished before this call or by it. */
  readonly finished: number;
  readonly ranNow: number;
  readonly failed: readonly { readonly id: string; readonly label: string; readonly message: string }[];
  /** Jobs not run because a job they need failed. */
  readonly blocked: readonly string[];
  readonly stopped: boolean;
}

interface Slot {
  readonly child: ChildProcess;
  readonly index: number;
  job: Job | null;
  ready: boolean;
}

/**
 * Runs jobs on a pool of worker processes. A job starts once the jobs it needs have finished;
 * evaluations that can run go before new training runs, so finished runs turn into results early.
 * Finished jobs (their result files exist) are skipped: a rerun resumes where the last one stopped.
 */
export async function runJobs(jobs: readonly Job[], options: PoolOptions): Promise<PoolResult> {
  const finished = new Set<string>();
  for (const job of jobs) if (await jobFinished(options.outDir, job)) finished.add(job.id);
  const alreadyFinished = finished.size;
  const pending = jobs.filter((job) => !finished.has(job.id));
  const failed: { id: string; label: string; message: string }[] = [];
  const failedIds = new Set<string>();
  const blocked: string[] = [];
  const running = new Map<string, Slot>();
  let stopping = false;
  options.reporter.begin(jobs.length, alreadyFinished);
  if (pending.length === 0) {
    options.reporter.end();
    return { finished: finished.size, ranNow: 0, failed, blocked, stopped: false };
  }

  return new Promise<PoolResult>((resolve) => {
    const slots: Slot[] = [];
    let settled = false;

    const next = (): Job | null => {
      // Drop jobs that can never run: something they need failed.
      for (let i = pending.length - 1; i >= 0; i--) {
        const job = pending[i] as Job;
        if (job.kind === 'evaluate' && job.after.some((id) => failedIds.has(id))) {
          blocked.push(job.id);
          pending.splice(i, 1);
        }
      }
      const ready = (job: Job) => job.kind === 'train' || job.after.every((id) => finished.has(id));
      const index = pending.findIndex((job) => job.kind === 'evaluate' && ready(job));
      const chosen = index >= 0 ? index : pending.findIndex((job) => job.kind === 'train');
      if (chosen < 0) return null;
      const [job] = pending.splice(chosen, 1);
      return job as Job;
    };

    const exited = (slot: Slot) => slot.child.exitCode !== null || slot.child.signalCode !== null;

    const finish = () => {
      if (settled || running.size > 0) return;
      settled = true;
      for (const slot of slots) if (slot.child.connected) slot.child.send({ type: 'exit' } satisfies ParentMessage);
      options.reporter.end();
      resolve({ finished: finished.size, ranNow: finished.size - alreadyFinished, failed, blocked, stopped: stopping });
    };

    const dispatch = () => {
      if (settled) return;
      if (!stopping) {
        for (const slot of slots) {
          if (!slot.ready || slot.job !== null) continue;
          const job = next();
          if (job === null) break;
          slot.job = job;
          running.set(job.id, slot);
          options.reporter.start(job, slot.index);
          slot.child.send({ type: 'run', job, outDir: options.outDir } satisfies ParentMessage);
        }
      }
      // Nothing running and nothing can start (every worker idle or gone): what is left waits on failed jobs.
      if (running.size === 0 && (stopping || slots.every((slot) => slot.ready || exited(slot)))) {
        if (!stopping) for (const job of pending.splice(0)) blocked.push(job.id);
        finish();
      }
    };

    const settleJob = (slot: Slot, status: 'done' | 'stopped' | 'failed', message = '') => {
      const job = slot.job;
      if (job === null) return;
      slot.job = null;
      running.delete(job.id);
      if (status === 'done') finished.add(job.id);
      if (status === 'failed') {
        failed.push({ id: job.id, label: job.label, message });
        failedIds.add(job.id);
      }
      options.reporter.finish(job, status, message);
    };

    const count = Math.max(1, Math.min(options.workers, pending.length));
    for (let index = 0; index < count; index++) {
      const child = fork(options.workerScript, [options.backend, JSON.stringify(options.versions)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const slot: Slot = { child, index, job: null, ready: false };
      slots.push(slot);
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') slot.ready = true;
        else if (message.type === 'progress') {
          if (slot.job !== null) options.reporter.progress(slot.job, message.progress);
          return;
        } else settleJob(slot, message.type, message.type === 'failed' ? message.message : '');
        dispatch();
      });
      child.on('exit', (code, signal) => {
        slot.ready = false;
        if (slot.job !== null) settleJob(slot, 'failed', `worker exited (${signal ?? `code ${code}`})`);
        dispatch();
      });
    }

    void options.stopSignal.then(() => {
      if (settled) return;
      stopping = true;
      options.reporter.message('stopping: running jobs checkpoint and stop; finished results are kept');
      for (const slot of slots) if (slot.child.connected) slot.child.send({ type: 'stop' } satisfies ParentMessage);
      dispatch();
    });
  });
}
