import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJsonAtomic } from './jobs.js';
import { FULL_BUDGET, JobPlan, QUICK_BUDGET } from './plan.js';
import { LogReporter } from './progress.js';
import { reproduce } from './reproduce.js';
import { ResultStore } from './results.js';
import { expandTargets, planJobs, REPRODUCE_TARGETS, TARGETS } from './targets.js';

const directories: string[] = [];
afterAll(async () => {
  for (const d of directories) await rm(d, { recursive: true, force: true });
});

const options = { seeds: [42, 43], budget: FULL_BUDGET, backend: 'wasm', workload: 'wfformat:data' } as const;

describe('the target registry', () => {
  it('names every target once, plus all', () => {
    const ids = TARGETS.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(REPRODUCE_TARGETS).toEqual([...ids, 'all']);
    expect(expandTargets(['all'], null)).toEqual(TARGETS.filter((t) => t.inAll(null)).map((t) => t.id));
  });

  it("planning all targets is the union of each target's own plan, without duplicates", () => {
    const all = planJobs({ ...options, targets: TARGETS.map((t) => t.id) });
    const union = new Map<string, string>();
    for (const target of TARGETS) {
      const plan = new JobPlan(options);
      target.jobs(plan);
      const jobs = plan.jobs();
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) union.set(job.id, JSON.stringify(job));
    }
    expect(new Map(all.map((job) => [job.id, JSON.stringify(job)]))).toEqual(union);
  });

  it("each target's tables carry its id and read pending (or not applicable) before any result", () => {
    const context = { store: new ResultStore(new Map()), seeds: [42, 43], budget: QUICK_BUDGET, workload: 'wfformat:data' };
    for (const target of TARGETS) {
      for (const table of target.tables(context)) {
        // A target's tables are named after it: `beyond`, `beyond-shift`, `beyond-real`.
        expect(table.id === target.id || table.id.startsWith(`${target.id}-`)).toBe(true);
        for (const row of table.rows.filter((r) => r.source === 'ours')) {
          const cells = Object.values(row.cells);
          // null: not applicable at this row (beyond's clairvoyant reference runs at N=16 only).
          for (const cell of cells) expect(cell === 'pending' || cell === null).toBe(true);
          expect(cells).toContain('pending');
        }
      }
    }
  });
});

describe('reproduce --report', () => {
  it('takes the workload the reproduction recorded, so all includes real without --workload', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-targets-'));
    directories.push(outDir);
    await writeJsonAtomic(join(outDir, 'reproduce.json'), { format: 'scale-reproduction', version: 1, budget: QUICK_BUDGET, backend: 'wasm', workload: 'wfformat:data', invocations: [] });
    const lines: string[] = [];
    const result = await reproduce({
      targets: ['all'],
      outDir,
      seeds: 2,
      quick: true,
      workers: 1,
      backend: 'wasm',
      workload: null,
      reporter: new LogReporter((line) => lines.push(line), () => 0),
      stopSignal: new Promise<void>(() => undefined),
      versions: {},
      workerScript: 'unused',
      command: 'scale reproduce all --report',
      reportOnly: true,
    });
    expect(result.pool).toMatchObject({ ranNow: 0, finished: 0 });
    expect(result.written).toContain('real.md');
    expect(result.written).toContain('fig6.svg');
    expect(await readFile(join(outDir, 'real.md'), 'utf8')).toContain('Real workflows (wfformat:data)');
    expect(await readFile(join(outDir, 'summary.md'), 'utf8')).toContain('![Figure 6](fig6.svg)');
  });
});
