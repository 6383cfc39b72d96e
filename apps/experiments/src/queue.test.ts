import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versions } from './internal/cli-options.js';
import { redisTestsMustRun, redisUnavailableReason, requireRedis, startOwnRedis, type TestRedis } from './internal/test-redis.js';
import type { JobProgress } from './jobs.js';
import { type Job, QUICK_BUDGET } from './plan.js';
import { runJobs } from './pool.js';
import type { Reporter } from './progress.js';
import { connectionOptions, parseQueueUrl, QueueUnavailableError } from './queue-connection.js';
import { runJobsOnQueue } from './queue-coordinator.js';
import { JOBS_QUEUE, RELEASE_QUEUE } from './queue-jobs.js';
import { runQueueWorker } from './queue-worker.js';
import { planJobs } from './targets.js';

// Workers run the built CLI and its sandboxed processor; the test task runs after the build (turbo).
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const workerScript = fileURLToPath(new URL('../dist/worker.js', import.meta.url));
const built = existsSync(cli) && existsSync(workerScript);

const unavailable = redisUnavailableReason();
const run = unavailable === null || redisTestsMustRun();
if (!run) console.warn(`queue tests skipped: ${unavailable}`);

class RecordingReporter implements Reporter {
  readonly events: string[] = [];
  private readonly waiters: { match: (event: string) => boolean; resolve: () => void }[] = [];
  private record(event: string) {
    this.events.push(event);
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.match(event)) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
  /** Resolves at the first event (past or future) that matches. */
  next(match: (event: string) => boolean): Promise<void> {
    if (this.events.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
  begin(total: number, alreadyFinished: number) {
    this.record(`begin ${total} ${alreadyFinished}`);
  }
  start(job: Job, worker: number) {
    this.record(`start ${job.id} ${worker}`);
  }
  progress(_job: Job, _progress: JobProgress) {}
  finish(job: Job, status: string, message: string) {
    this.record(`${status} ${job.id} ${message}`);
  }
  message(text: string) {
    this.record(text);
  }
  end() {
    this.record('end');
  }
}

/**
 * A quick plan, small: Table 3's `scale` and `crossattn` runs (seed 42; 8 epochs, so that a run
 * lasts long enough to lose its worker mid-way), their evaluations and two heuristics.
 */
function quickPlan(): Job[] {
  const jobs = planJobs({ targets: ['table3'], seeds: [42], budget: { ...QUICK_BUDGET, epochs: 8 }, backend: 'wasm', workload: null });
  const runs = new Set(jobs.filter((job) => job.kind === 'train' && /\/(scale|crossattn)-seed42$/.test(job.dir)).map((job) => job.id));
  return jobs.filter((job) =>
    job.kind === 'train' ? runs.has(job.id) : 'heuristic' in job.policy ? ['eft', 'random'].includes(job.policy.heuristic) : job.after.every((id) => runs.has(id)),
  );
}

async function files(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else found.push(relative(root, path));
    }
  };
  await walk(root);
  return found.sort();
}

function startWorker(url: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [cli, 'worker', '--queue', url, '--concurrency', '1', '--lock-seconds', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Empties the sweep's queues (a shared Redis may hold an earlier run's jobs, which would be collected instead of run). */
async function emptyQueues(url: string): Promise<void> {
  for (const name of [JOBS_QUEUE, RELEASE_QUEUE]) {
    const queue = new Queue(name, { connection: connectionOptions(parseQueueUrl(url)) });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

const directories: string[] = [];
const servers: TestRedis[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const server of servers) await server.stop();
  for (const d of directories) await rm(d, { recursive: true, force: true });
});

async function temporary(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  directories.push(dir);
  return dir;
}

describe.runIf(run)('sweeps on a Redis queue', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await requireRedis();
    servers.push(redis);
  });

  it.runIf(built)(
    'a coordinator and two workers, one killed with SIGKILL mid-job, write what the local pool writes',
    async () => {
      const jobs = quickPlan();
      expect(jobs.filter((job) => job.kind === 'train')).toHaveLength(2);
      const never = new Promise<void>(() => undefined);

      const localDir = await temporary('scale-local-');
      const local = await runJobs(jobs, { outDir: localDir, workers: 2, backend: 'wasm', versions: versions(), workerScript, reporter: new RecordingReporter(), stopSignal: never });
      expect(local.failed).toEqual([]);

      await emptyQueues(redis.url);
      const queueDir = await temporary('scale-queue-');
      const reporter = new RecordingReporter();
      const coordinating = runJobsOnQueue(jobs, { outDir: queueDir, backend: 'wasm', queueUrl: redis.url, reporter, stopSignal: never, pollMs: 100 });
      // The first worker is alone when the first training run starts: that run is on it.
      const doomed = startWorker(redis.url);
      children.push(doomed.child);
      await reporter.next((event) => /^start train:/.test(event));
      const survivor = startWorker(redis.url);
      children.push(survivor.child);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      doomed.child.kill('SIGKILL');
      expect((await exitOf(doomed.child)).signal).toBe('SIGKILL');

      const result = await coordinating;
      expect(result.failed).toEqual([]);
      expect(result.blocked).toEqual([]);
      expect(result).toMatchObject({ finished: jobs.length, ranNow: jobs.length, stopped: false });
      // The killed worker's run went back on the queue (stalled-job detection) and finished on the other.
      expect(reporter.events.some((event) => /^train .*: back on the queue/.test(event))).toBe(true);
      expect(reporter.events.filter((event) => event.startsWith('done ')).length).toBe(jobs.length);

      // The same files as the local pool's, less the training checkpoints (they stay on the workers).
      const localFiles = (await files(localDir)).filter((path) => !path.split('/').includes('checkpoint'));
      expect(await files(queueDir)).toEqual(localFiles);
      for (const path of localFiles) {
        const [mine, theirs] = [await readFile(join(queueDir, path)), await readFile(join(localDir, path))];
        if (path.includes('/model/')) expect(mine.equals(theirs), path).toBe(true);
        else if (path.startsWith('evaluations/')) {
          // Everything but the evaluation's wall time, which is the machine's.
          const strip = (bytes: Buffer) => ({ ...JSON.parse(bytes.toString()), wallSeconds: 0 });
          expect(strip(mine), path).toEqual(strip(theirs));
          expect(mine.toString().replace(/"wallSeconds": [0-9.e-]+/, ''), path).toBe(theirs.toString().replace(/"wallSeconds": [0-9.e-]+/, ''));
        } else if (path.endsWith('config.json')) {
          const { startedAt: _a, wallSeconds: _b, ...record } = JSON.parse(mine.toString());
          const { startedAt: _c, wallSeconds: _d, ...expected } = JSON.parse(theirs.toString());
          expect(record, path).toEqual(expected);
        }
      }

      // A rerun resumes: everything is in --out, nothing is queued or run.
      const again = new RecordingReporter();
      const rerun = await runJobsOnQueue(jobs, { outDir: queueDir, backend: 'wasm', queueUrl: redis.url, reporter: again, stopSignal: never, pollMs: 100 });
      expect(rerun).toMatchObject({ finished: jobs.length, ranNow: 0 });
      expect(again.events).toEqual([`begin ${jobs.length} ${jobs.length}`, 'end']);

      // Results that finished on the queue while no coordinator ran are collected, not run again.
      const collectedDir = await temporary('scale-collect-');
      const collecting = new RecordingReporter();
      const collected = await runJobsOnQueue(jobs, { outDir: collectedDir, backend: 'wasm', queueUrl: redis.url, reporter: collecting, stopSignal: never, pollMs: 100 });
      expect(collected).toMatchObject({ finished: jobs.length, ranNow: jobs.length });
      expect(collecting.events.some((event) => event.startsWith('start '))).toBe(false);
      expect(await files(collectedDir)).toEqual(localFiles);

      survivor.child.kill('SIGINT');
      expect((await exitOf(survivor.child)).code).toBe(130);
      expect(survivor.output()).not.toMatch(/Error|at .*\(/);
    },
    300_000,
  );

  it('a malformed job on the queue fails at once with one line naming the field; the worker goes on', async () => {
    await emptyQueues(redis.url);
    const connection = parseQueueUrl(redis.url);
    const queue = new Queue(JOBS_QUEUE, { connection: connectionOptions(connection) });
    const job = await queue.add('train', { job: { kind: 'train', id: 'x', dir: '../../etc', config: {}, label: 'x' } }, { attempts: 3 });
    const shell = await queue.add('shell', { command: 'rm -rf /' }, { attempts: 3 });
    let stop: () => void = () => undefined;
    const lines: string[] = [];
    const working = runQueueWorker({ connection, concurrency: 1, lockSeconds: 5, log: (line) => lines.push(line), stopSignal: new Promise((resolve) => (stop = resolve)) });
    const settled = async () => (await job.isFailed()) && (await shell.isFailed()) && lines.filter((line) => line.startsWith('failed: ')).length === 2;
    for (let i = 0; i < 200 && !(await settled()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
    await working;
    const failed = await queue.getJob(job.id as string);
    expect(failed?.failedReason).toBe('malformed train job: data.job.dir: expected a relative path runs/REGIME/RUN without ".." segments');
    // Not retried: the same bytes would fail again.
    expect(failed?.attemptsMade).toBe(1);
    expect((await queue.getJob(shell.id as string))?.failedReason).toBe('malformed job: name: expected train or evaluate, not "shell"');
    expect(lines.filter((line) => line.startsWith('failed: '))).toHaveLength(2);
    await queue.close();
  }, 60_000);

  it('a wrong password and an unreachable Redis: one line, exit 2, the password never shown', async () => {
    const guarded = await startOwnRedis('right-horse');
    servers.push(guarded);
    const wrong = guarded.url.replace('right-horse', 'wrong-battery');
    const never = new Promise<void>(() => undefined);
    const attempt = runJobsOnQueue(quickPlan(), { outDir: await temporary('scale-auth-'), backend: 'wasm', queueUrl: wrong, reporter: new RecordingReporter(), stopSignal: never });
    const error = await attempt.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/^--queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: cannot use Redis there \((WRONGPASS|NOAUTH)/);
    expect((error as Error).message).not.toContain('wrong-battery');
    if (!built) return;
    for (const url of [wrong, 'redis://:wrong-battery@127.0.0.1:1']) {
      const started = Date.now();
      const worker = startWorker(url);
      children.push(worker.child);
      expect((await exitOf(worker.child)).code).toBe(2);
      expect(Date.now() - started).toBeLessThan(30_000);
      const lines = worker.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^scale: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: cannot use Redis there \(/);
      expect(worker.output()).not.toContain('wrong-battery');
    }
  }, 60_000);
});
