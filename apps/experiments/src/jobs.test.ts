import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StaleResultError } from './errors.js';
import { jobFinished, writeJsonAtomic } from './jobs.js';
import { FULL_BUDGET } from './plan.js';
import { planJobs } from './targets.js';

const directories: string[] = [];
afterAll(async () => {
  for (const d of directories) await rm(d, { recursive: true, force: true });
});

describe('jobFinished', () => {
  it('an evaluation is finished when its file holds the planned settings, and stale when they differ', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-jobs-'));
    directories.push(outDir);
    const [job] = planJobs({ targets: ['regimes'], seeds: [42], budget: FULL_BUDGET, backend: 'wasm', workload: null }).filter((j) => j.kind === 'evaluate' && j.id.includes('memory'));
    if (job === undefined || job.kind !== 'evaluate') throw new Error('no memory-regime evaluation planned');
    expect(await jobFinished(outDir, job)).toBe(false);
    await writeJsonAtomic(join(outDir, job.file), { job, summary: {}, features: null, wallSeconds: 1 });
    expect(await jobFinished(outDir, job)).toBe(true);
    // The same file from an older memory regime.
    await writeJsonAtomic(join(outDir, job.file), { job: { ...job, env: { generator: { memory: { mean: 16, sd: 12, min: 0.5, max: 64 } } } }, summary: {}, features: null, wallSeconds: 1 });
    await expect(jobFinished(outDir, job)).rejects.toBeInstanceOf(StaleResultError);
  });
});
