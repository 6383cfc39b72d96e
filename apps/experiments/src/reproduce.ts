import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ReproductionLockedError, ReproductionMismatchError } from './errors.js';
import { sameJson } from './internal/same-json.js';
import { jobFinished, writeJsonAtomic } from './jobs.js';
import { detectionCounts, detectionCountsMarkdown } from './multiplicity.js';
import { type Budget, type Job, resolveBudget, seedList } from './plan.js';
import { type PoolResult, runJobs } from './pool.js';
import type { Reporter } from './progress.js';
import { runJobsOnQueue } from './queue-coordinator.js';
import { ResultStore } from './results.js';
import { renderCsv, renderMarkdown, type Table } from './table.js';
import type { ReportContext } from './target.js';
import { expandTargets, planJobs, type ReproduceTarget, TARGETS } from './targets.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `reproduce.lock` in the out dir (a stale lock, whose process is gone, is taken over); returns its release. */
async function lock(outDir: string): Promise<() => Promise<void>> {
  const path = join(outDir, 'reproduce.lock');
  await mkdir(outDir, { recursive: true });
  for (;;) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new ReproductionLockedError(outDir, pid);
      await rm(path, { force: true });
    }
  }
}

export interface ReproduceOptions {
  readonly targets: readonly ReproduceTarget[];
  readonly outDir: string;
  /** Training seeds per method: 42, 43, ... */
  readonly seeds: number;
  readonly quick: boolean;
  /** Overrides of the budget's training epochs and evaluation episodes. */
  readonly epochs?: number;
  readonly episodes?: number;
  readonly workers: number;
  readonly backend: string;
  /** `wfformat:PATH` for `real`; null takes the one the reproduction in `outDir` recorded, if any. */
  readonly workload: string | null;
  readonly reporter: Reporter;
  readonly stopSignal: Promise<void>;
  readonly versions: Record<string, string>;
  readonly workerScript: string;
  /** `redis://...` or `rediss://...`: run the jobs on a BullMQ queue there (`scale worker`s on any machine) instead of local worker processes. */
  readonly queueUrl?: string;
  /** The command line, recorded with the wall time and the machine. */
  readonly command: string;
  /** Only write the tables and figure from the results that exist (runs nothing; safe beside a running reproduction). */
  readonly reportOnly?: boolean;
}

export interface ReproduceResult {
  readonly pool: PoolResult;
  /** The files written (relative to the out dir). */
  readonly written: readonly string[];
  readonly wallSeconds: number;
}

interface Invocation {
  readonly command: string;
  /** False while the invocation runs (or if it was killed before its end). */
  readonly finished: boolean;
  readonly targets: readonly string[];
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly jobsRun: number;
  readonly jobsFinished: number;
  readonly jobsTotal: number;
  readonly failed: readonly string[];
  readonly stopped: boolean;
  readonly machine: string;
}

interface ReproductionRecord {
  readonly format: 'scale-reproduction';
  readonly version: 1;
  readonly budget: Budget;
  readonly backend: string;
  readonly workload: string | null;
  readonly invocations: readonly Invocation[];
}

function invocationOf(options: ReproduceOptions, targets: readonly string[], started: number, fields: Partial<Invocation>): Invocation {
  return {
    command: options.command,
    finished: false,
    targets,
    startedAt: new Date(started).toISOString(),
    wallSeconds: (Date.now() - started) / 1000,
    jobsRun: 0,
    jobsFinished: 0,
    jobsTotal: 0,
    failed: [],
    stopped: false,
    machine: machineDescription(),
    ...fields,
  };
}

function machineDescription(): string {
  const cores = cpus();
  return `${cores.length} x ${cores[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform} ${process.arch}, Node ${process.version}, no GPU used`;
}

async function readRecord(path: string): Promise<ReproductionRecord | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ReproductionRecord;
  } catch {
    return null;
  }
}

async function writeTable(outDir: string, table: Table, written: string[]): Promise<void> {
  await writeFile(join(outDir, `${table.id}.md`), renderMarkdown(table));
  await writeFile(join(outDir, `${table.id}.csv`), renderCsv(table));
  await writeJsonAtomic(join(outDir, `${table.id}.json`), table);
  written.push(`${table.id}.md`, `${table.id}.csv`, `${table.id}.json`);
}

/** The jobs the last invocation gave up on (after the queue's retries), each with its error. */
function failuresOf(invocation: Invocation | undefined): string[] {
  if (invocation === undefined || invocation.failed.length === 0) return [];
  return ['## Failed jobs (last invocation; rerun to retry them)', '', ...invocation.failed.map((f) => `- ${f.replaceAll('\n', ' ')}`), ''];
}

/** Unfinished jobs of one kind: a training per run folder without its seed, an evaluation per set and N. */
interface RemainingGroup {
  readonly kind: Job['kind'];
  readonly what: string;
  readonly jobs: number;
}

/** The planned jobs that have not finished, grouped, in plan order. */
function remainingGroups(jobs: readonly Job[], finished: readonly boolean[]): RemainingGroup[] {
  const groups = new Map<string, RemainingGroup>();
  jobs.forEach((job, i) => {
    if (finished[i] === true) return;
    const what = job.kind === 'train' ? `train ${job.dir.replace(/^runs\//, '').replace(/-seed\d+$/, '')}` : `evaluate ${job.file.split('/')[1]}, N=${job.nodes}`;
    groups.set(what, { kind: job.kind, what, jobs: (groups.get(what)?.jobs ?? 0) + 1 });
  });
  return [...groups.values()];
}

function remainingMarkdown(groups: readonly RemainingGroup[]): string[] {
  if (groups.length === 0) return ['## Remaining', '', 'Every planned job has finished.', ''];
  const count = (kind: Job['kind']) => groups.filter((g) => g.kind === kind).reduce((a, g) => a + g.jobs, 0);
  const trainings = count('train');
  const evaluations = count('evaluate');
  return [
    '## Remaining',
    '',
    `${trainings + evaluations} planned jobs have not finished: ${trainings} trainings (by run folder, seeds pooled) and ${evaluations} evaluations (by set and N). Rerun the last command above to continue.`,
    '',
    '| jobs | count |',
    '|---|---|',
    ...groups.map((g) => `| ${g.what} | ${g.jobs} |`),
    '',
  ];
}

/** `summary.md`: the invocations, what has not finished, every claim's verdict, its detections beside what chance alone gives, and what the targets' other files show (the figure). */
function summaryMarkdown(record: ReproductionRecord, remaining: readonly RemainingGroup[], tables: readonly Table[], extras: readonly (readonly string[])[]): string {
  const total = record.invocations.reduce((a, b) => a + b.wallSeconds, 0);
  const lines = [
    '# Reproduction summary',
    '',
    `Budget: ${record.budget.epochs} epochs per run, ${record.budget.episodes} evaluation episodes per N up to 256 and ${record.budget.largeEpisodes} above${record.budget.quick ? ' (--quick)' : ''}; backend ${record.backend}.`,
    `Wall time over ${record.invocations.length} invocation(s): ${(total / 60).toFixed(1)} min.`,
    '',
    '| command | started | wall time | jobs run | finished / total | outcome | failed | machine |',
    '|---|---|---|---|---|---|---|---|',
    ...record.invocations.map(
      (i) => `| \`${i.command}\` | ${i.startedAt} | ${(i.wallSeconds / 60).toFixed(1)} min | ${i.jobsRun} | ${i.jobsFinished} / ${i.jobsTotal} | ${i.finished ? (i.stopped ? 'stopped (Ctrl-C)' : 'ran to the end') : 'cut off (killed before its end)'} | ${i.failed.length} | ${i.machine} |`,
    ),
    '',
    ...failuresOf(record.invocations.at(-1)),
    ...remainingMarkdown(remaining),
    '## Verdicts',
    '',
    'Each table states the margin of each claim (the paper\'s effect size, or ours for our own questions) and how its interval was made. Every verdict holds under DESIGN.md\'s chosen constants (the paper\'s text lost most of them).',
    '',
    '| table | the paper\'s claim or our question | the interval alone | verdict |',
    '|---|---|---|---|',
    ...tables.flatMap((t) =>
      t.claims.map((c) => `| [${t.id}](${t.id}.md) | ${c.kind === 'question' ? 'our question: ' : "the paper's claim: "}${c.claim.replaceAll('|', '\\|')} | ${c.outcome ?? '—'} | ${c.verdict} |`),
    ),
    '',
    ...tables.flatMap((t) => (t.summaryNotes ?? []).map((note) => `- [${t.id}](${t.id}.md): ${note}`)),
    ...(tables.some((t) => (t.summaryNotes ?? []).length > 0) ? [''] : []),
    ...detectionCountsMarkdown(detectionCounts(tables)),
    ...extras.flatMap((lines) => [...lines, '']),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Plans the jobs of the targets, runs what is not finished on a pool of worker processes, then writes
 * every requested table and figure from the results there are (cells still running read `pending`).
 * Rerunning the same command resumes: finished runs and evaluations are kept, stopped runs continue
 * from their checkpoints.
 */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceResult> {
  const started = Date.now();
  const budget = resolveBudget(options.quick, options.epochs, options.episodes);
  const seeds = seedList(options.seeds);
  const recordPath = join(options.outDir, 'reproduce.json');
  const previous = await readRecord(recordPath);
  // Resuming (or re-reporting) a reproduction needs no --workload: the one it was made with is recorded.
  const workload = options.workload ?? previous?.workload ?? null;
  const targets = expandTargets(options.targets, workload);
  if (previous !== null) {
    if (!sameJson(previous.budget, budget)) throw new ReproductionMismatchError('budget', previous.budget, budget);
    if (previous.backend !== options.backend) throw new ReproductionMismatchError('--backend', previous.backend, options.backend);
    if (targets.includes('real') && previous.workload !== null && previous.workload !== workload) throw new ReproductionMismatchError('--workload', previous.workload, workload);
  }
  const jobs = planJobs({ targets, seeds, budget, backend: options.backend, workload });
  const base: ReproductionRecord = { format: 'scale-reproduction', version: 1, budget, backend: options.backend, workload, invocations: previous?.invocations ?? [] };
  const finishedJobs = () => Promise.all(jobs.map((job) => jobFinished(options.outDir, job)));
  // Which jobs have finished: read once before a report, once after a run.
  let finishedFlags: boolean[] | null = null;
  let pool: PoolResult;
  if (options.reportOnly === true) {
    finishedFlags = await finishedJobs();
    pool = { finished: finishedFlags.filter(Boolean).length, ranNow: 0, failed: [], blocked: [], stopped: false };
  } else {
    const release = await lock(options.outDir);
    try {
      // The invocation is recorded from its start and rewritten as jobs finish, so a killed run
      // (a session that ends, a machine that goes down) still leaves its command and wall time.
      let jobsRun = 0;
      let finishedBefore = 0;
      let writing = Promise.resolve();
      const recordProgress = (extra: Partial<Invocation> = {}) => {
        const current = invocationOf(options, targets, started, { jobsRun, jobsFinished: finishedBefore + jobsRun, jobsTotal: jobs.length, ...extra });
        writing = writing.then(() => writeJsonAtomic(recordPath, { ...base, invocations: [...base.invocations, current] }));
        return writing;
      };
      await recordProgress();
      const reporter: Reporter = {
        begin: (total, already) => {
          finishedBefore = already;
          options.reporter.begin(total, already);
        },
        start: (job, worker) => options.reporter.start(job, worker),
        progress: (job, progress) => options.reporter.progress(job, progress),
        finish: (job, status, message) => {
          if (status === 'done') jobsRun += 1;
          void recordProgress();
          options.reporter.finish(job, status, message);
        },
        message: (text) => options.reporter.message(text),
        end: () => options.reporter.end(),
      };
      const poolOptions = {
        outDir: options.outDir,
        workers: options.workers,
        backend: options.backend,
        versions: options.versions,
        workerScript: options.workerScript,
        reporter,
        stopSignal: options.stopSignal,
      };
      pool = options.queueUrl === undefined ? await runJobs(jobs, poolOptions) : await runJobsOnQueue(jobs, { ...poolOptions, queueUrl: options.queueUrl });
      await writing;
    } finally {
      await release();
    }
  }

  const context: ReportContext = { store: await ResultStore.load(options.outDir, jobs), seeds, budget, workload, outDir: options.outDir };
  const requested = TARGETS.filter((target) => targets.includes(target.id));
  const tables = requested.flatMap((target) => target.tables(context));
  const written: string[] = [];
  for (const table of tables) await writeTable(options.outDir, table, written);
  const extras: (readonly string[])[] = [];
  for (const target of requested) {
    if (target.files === undefined) continue;
    const files = await target.files(context);
    written.push(...files.written);
    extras.push(files.summary);
  }

  const invocation = invocationOf(options, targets, started, {
    jobsRun: pool.ranNow,
    jobsFinished: pool.finished,
    jobsTotal: jobs.length,
    failed: pool.failed.map((f) => `${f.label}: ${f.message}`),
    stopped: pool.stopped,
    finished: true,
  });
  const wallSeconds = invocation.wallSeconds;
  // A report-only call records nothing: it did no work, and a reproduction may be running beside it.
  const record: ReproductionRecord = options.reportOnly === true ? (previous ?? base) : { ...base, invocations: [...base.invocations, invocation] };
  if (options.reportOnly !== true) await writeJsonAtomic(recordPath, record);
  const remaining = remainingGroups(jobs, finishedFlags ?? (await finishedJobs()));
  await writeFile(join(options.outDir, 'summary.md'), summaryMarkdown(record, remaining, tables, extras));
  written.push('reproduce.json', 'summary.md');
  return { pool, written, wallSeconds };
}
