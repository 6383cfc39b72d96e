import cliProgress from 'cli-progress';
import type { JobProgress } from './jobs.js';
import type { Job } from './plan.js';

/** What the job pool tells the person waiting. */
export interface Reporter {
  begin(total: number, alreadyFinished: number): void;
  start(job: Job, worker: number): void;
  progress(job: Job, progress: JobProgress): void;
  finish(job: Job, status: 'done' | 'stopped' | 'failed', message: string): void;
  message(text: string): void;
  end(): void;
}

function describe(progress: JobProgress): string {
  const parts: string[] = [];
  if (progress.stepsPerSec !== undefined) parts.push(`${Math.round(progress.stepsPerSec).toLocaleString('en-US')} steps/s`);
  if (progress.meanReward !== undefined && Number.isFinite(progress.meanReward)) parts.push(`reward ${progress.meanReward.toFixed(4)}`);
  return parts.join('  ');
}

/** Progress bars on a terminal: one per worker (epoch or episode, steps/s, ETA, last reward) and one for all jobs. */
export class TerminalReporter implements Reporter {
  private readonly bars = new cliProgress.MultiBar(
    { format: ' {label} {bar} {value}/{total} {unit}  ETA {eta_formatted}  {detail}', barsize: 16, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  private overall: cliProgress.SingleBar | null = null;
  private readonly perWorker = new Map<number, cliProgress.SingleBar>();
  private readonly workerOf = new Map<string, number>();
  private done = 0;

  begin(total: number, alreadyFinished: number): void {
    this.done = alreadyFinished;
    this.overall = this.bars.create(total, alreadyFinished, { label: 'all jobs'.padEnd(30), unit: 'jobs', detail: '' });
  }

  start(job: Job, worker: number): void {
    this.workerOf.set(job.id, worker);
    const bar = this.perWorker.get(worker);
    const payload = { label: job.label.slice(0, 30).padEnd(30), unit: job.kind === 'train' ? 'epochs' : 'episodes', detail: '' };
    const total = job.kind === 'train' ? (job.config.epochs ?? 1000) : job.episodes;
    if (bar === undefined) this.perWorker.set(worker, this.bars.create(total, 0, payload));
    else bar.start(total, 0, payload);
  }

  progress(job: Job, progress: JobProgress): void {
    const bar = this.perWorker.get(this.workerOf.get(job.id) ?? -1);
    bar?.update(progress.done, { detail: describe(progress) });
  }

  finish(job: Job, status: 'done' | 'stopped' | 'failed', message: string): void {
    if (status === 'done') this.overall?.update(++this.done);
    if (status === 'failed') this.bars.log(`failed: ${job.label}: ${message}\n`);
  }

  message(text: string): void {
    this.bars.log(`${text}\n`);
  }

  end(): void {
    this.bars.stop();
  }
}

/** Plain lines when not on a terminal (CI, nohup, a log file): each job's start and end, and training progress every `intervalMs`. */
export class LogReporter implements Reporter {
  private total = 0;
  private done = 0;
  private readonly lastLine = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
    private readonly intervalMs = 30_000,
  ) {}

  begin(total: number, alreadyFinished: number): void {
    this.total = total;
    this.done = alreadyFinished;
    this.write(`${total} jobs, ${alreadyFinished} already finished`);
  }

  start(job: Job, worker: number): void {
    this.lastLine.set(job.id, this.now());
    this.write(`[${this.done}/${this.total}] worker ${worker}: ${job.label}`);
  }

  progress(job: Job, progress: JobProgress): void {
    const last = this.lastLine.get(job.id) ?? 0;
    if (this.now() - last < this.intervalMs) return;
    this.lastLine.set(job.id, this.now());
    this.write(`  ${job.label}: ${progress.done}/${progress.total}  ${describe(progress)}`);
  }

  finish(job: Job, status: 'done' | 'stopped' | 'failed', message: string): void {
    if (status === 'done') this.done += 1;
    this.write(`[${this.done}/${this.total}] ${status}: ${job.label}${message ? ` (${message})` : ''}`);
  }

  message(text: string): void {
    this.write(text);
  }

  end(): void {}
}
