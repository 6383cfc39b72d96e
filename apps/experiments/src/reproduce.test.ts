import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobProgress } from './jobs.js';
import { HEURISTIC_SUITE, type Job } from './plan.js';
import type { Reporter } from './progress.js';
import { ReproductionLockedError, ReproductionMismatchError } from './errors.js';
import { type ReproduceOptions, reproduce } from './reproduce.js';
import type { Table } from './table.js';

// The pool forks the built worker; the test task runs after the build (turbo), as the CLI does.
const workerScript = fileURLToPath(new URL('../dist/worker.js', import.meta.url));

class RecordingReporter implements Reporter {
  readonly events: string[] = [];
  readonly reports: JobProgress[] = [];
  begin(total: number, alreadyFinished: number) {
    this.events.push(`begin ${total} ${alreadyFinished}`);
  }
  start(job: Job) {
    this.events.push(`start ${job.id}`);
  }
  progress(_job: Job, progress: JobProgress) {
    this.reports.push(progress);
  }
  finish(job: Job, status: string) {
    this.events.push(`${status} ${job.id}`);
  }
  message(text: string) {
    this.events.push(text);
  }
  end() {
    this.events.push('end');
  }
}

const directories: string[] = [];
afterAll(async () => {
  for (const d of directories) await rm(d, { recursive: true, force: true });
});

async function options(outDir: string, reporter: Reporter, overrides: Partial<ReproduceOptions> = {}): Promise<ReproduceOptions> {
  return {
    targets: ['table4'],
    outDir,
    seeds: 2,
    quick: true,
    epochs: 1,
    workers: 2,
    backend: 'wasm',
    workload: null,
    reporter,
    stopSignal: new Promise<void>(() => undefined),
    versions: {},
    workerScript,
    command: 'scale reproduce table4 --quick --epochs 1',
    ...overrides,
  };
}

describe.skipIf(!existsSync(workerScript))('reproduce', () => {
  it('trains, evaluates and writes the table in three formats; a rerun resumes with nothing left to do', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-reproduce-'));
    directories.push(outDir);
    // A lock left by a process that is gone is taken over.
    await writeFile(join(outDir, 'reproduce.lock'), '2147483646\n');
    const reporter = new RecordingReporter();
    const first = await reproduce(await options(outDir, reporter));
    expect(existsSync(join(outDir, 'reproduce.lock'))).toBe(false);
    expect(first.pool.failed).toEqual([]);
    // 2 methods x 2 seeds trained; 7 sizes x (4 learned + the 16 heuristics of the suite) evaluated.
    expect(first.pool.ranNow).toBe(4 + 7 * (4 + HEURISTIC_SUITE.length));
    expect(reporter.reports.some((p) => p.stepsPerSec !== undefined)).toBe(true);
    const table = JSON.parse(await readFile(join(outDir, 'table4.json'), 'utf8')) as Table;
    const scale = table.rows.find((r) => r.label === 'scale' && r.source === 'ours');
    for (const column of table.columns) expect(scale?.cells[column.key]).toMatchObject({ n: 2 });
    expect(await readFile(join(outDir, 'table4.md'), 'utf8')).toContain("scale (paper's)");
    expect((await readFile(join(outDir, 'table4.csv'), 'utf8')).split('\n')[0]).toMatch(/^table,kind,row/);
    const record = JSON.parse(await readFile(join(outDir, 'reproduce.json'), 'utf8')) as { invocations: { command: string; jobsRun: number }[] };
    expect(record.invocations[0]).toMatchObject({ command: 'scale reproduce table4 --quick --epochs 1', jobsRun: 4 + 7 * (4 + HEURISTIC_SUITE.length) });

    const again = new RecordingReporter();
    const second = await reproduce(await options(outDir, again));
    expect(second.pool.ranNow).toBe(0);
    expect(again.events).toEqual([`begin ${4 + 7 * (4 + HEURISTIC_SUITE.length)} ${4 + 7 * (4 + HEURISTIC_SUITE.length)}`, 'end']);
    expect(await readFile(join(outDir, 'table4.json'), 'utf8')).toBe(JSON.stringify(table, null, 2).concat('\n'));
    expect(await readFile(join(outDir, 'summary.md'), 'utf8')).toContain('## Remaining\n\nEvery planned job has finished.\n');

    await expect(reproduce(await options(outDir, again, { epochs: 2 }))).rejects.toBeInstanceOf(ReproductionMismatchError);

    // A live reproduction holds the lock: a second one is refused, a report-only call still writes the tables.
    await writeFile(join(outDir, 'reproduce.lock'), `${process.ppid}\n`);
    await expect(reproduce(await options(outDir, again))).rejects.toBeInstanceOf(ReproductionLockedError);
    await rm(join(outDir, 'table4.md'));
    const report = await reproduce(await options(outDir, again, { reportOnly: true }));
    expect(report.pool).toMatchObject({ ranNow: 0, finished: 4 + 7 * (4 + HEURISTIC_SUITE.length) });
    expect(await readFile(join(outDir, 'table4.md'), 'utf8')).toContain("scale (paper's)");
    const after = JSON.parse(await readFile(join(outDir, 'reproduce.json'), 'utf8')) as { invocations: unknown[] };
    expect(after.invocations).toHaveLength(2);
  });

  it('a stop request starts nothing new, keeps finished results and leaves the rest pending', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-reproduce-'));
    directories.push(outDir);
    let stop = () => {};
    const stopSignal = new Promise<void>((resolve) => {
      stop = resolve;
    });
    // Stop as soon as the first training run reports an epoch.
    class StoppingReporter extends RecordingReporter {
      override progress(job: Job, progress: JobProgress) {
        super.progress(job, progress);
        if (job.kind === 'train') stop();
      }
    }
    const stopping = new StoppingReporter();
    const result = await reproduce(await options(outDir, stopping, { targets: ['table3'], epochs: 3, stopSignal }));
    expect(result.pool.stopped).toBe(true);
    expect(result.pool.finished).toBeLessThan(6 * 2 + 6 * 2 + 4);
    const table = JSON.parse(await readFile(join(outDir, 'table3.json'), 'utf8')) as Table;
    expect(table.rows.find((r) => r.label === 'sac' && r.source === 'ours')?.cells.response).toBe('pending');
    const record = JSON.parse(await readFile(join(outDir, 'reproduce.json'), 'utf8')) as { invocations: { stopped: boolean; jobsTotal: number }[] };
    expect(record.invocations[0]?.stopped).toBe(true);
    // summary.md says what is left, grouped: every training not finished is there, seeds pooled by run folder.
    const summary = await readFile(join(outDir, 'summary.md'), 'utf8');
    const left = (record.invocations[0]?.jobsTotal as number) - result.pool.finished;
    expect(summary).toMatch(new RegExp(`## Remaining\\n\\n${left} planned jobs have not finished: \\d+ trainings`));
    expect(summary).toMatch(/\| train paper\/sac \| [12] \|/);
  });
});
