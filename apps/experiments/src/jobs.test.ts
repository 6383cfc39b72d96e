import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultFileError, StaleResultError } from './errors.js';
import { jobFinished, writeJsonAtomic } from './jobs.js';
import { FULL_BUDGET } from './plan.js';
import { writeRunRecord } from './run-record.js';
import { resolveTrainConfig } from './train-config.js';
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

  it('stored settings match the plan as data: another key order is the same job, another value is stale', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-jobs-'));
    directories.push(outDir);
    const [job] = planJobs({ targets: ['explore'], seeds: [42], budget: FULL_BUDGET, backend: 'wasm', workload: null }).filter((j) => j.kind === 'evaluate' && j.id.includes('speed-8x'));
    if (job === undefined || job.kind !== 'evaluate' || job.env.servers === undefined) throw new Error('no speed-8x evaluation with its own servers planned');
    // Each server's keys reversed (how the 8x regime's stored results list them), the values unchanged.
    const reordered = job.env.servers.map((server) => Object.fromEntries(Object.entries(server).reverse()));
    await writeJsonAtomic(join(outDir, job.file), { job: { ...job, env: { ...job.env, servers: reordered } }, summary: {}, features: null, wallSeconds: 1 });
    expect(await jobFinished(outDir, job)).toBe(true);
    const slower = job.env.servers.map((server) => (server.tier === 'large' ? { ...server, compute: 4 } : server));
    await writeJsonAtomic(join(outDir, job.file), { job: { ...job, env: { ...job.env, servers: slower } }, summary: {}, features: null, wallSeconds: 1 });
    await expect(jobFinished(outDir, job)).rejects.toBeInstanceOf(StaleResultError);
  });

  it('an evaluation file that holds no result record is a one-line error naming the file, not a crash', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-jobs-'));
    directories.push(outDir);
    const [job] = planJobs({ targets: ['regimes'], seeds: [42], budget: FULL_BUDGET, backend: 'wasm', workload: null }).filter((j) => j.kind === 'evaluate');
    if (job === undefined || job.kind !== 'evaluate') throw new Error('no evaluation planned');
    const path = join(outDir, job.file);
    await mkdir(dirname(path), { recursive: true });
    for (const text of ['{"job": {"policy"', 'null', '{"summary": {}}']) {
      await writeFile(path, text);
      const error = await jobFinished(outDir, job).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ResultFileError);
      expect((error as ResultFileError).message).toMatch(new RegExp(`^${path}: not an evaluation result \\(.+\\); delete it to redo it$`));
    }
  });

  it('a training run is stale when its preset now resolves to another method (a changed preset, not only a changed config)', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'scale-jobs-'));
    directories.push(outDir);
    const [job] = planJobs({ targets: ['explore'], seeds: [42], budget: FULL_BUDGET, backend: 'wasm', workload: null }).filter((j) => j.kind === 'train' && j.config.method === 'scale-rt');
    if (job === undefined || job.kind !== 'train') throw new Error('no scale-rt training planned');
    const dir = join(outDir, job.dir);
    await mkdir(join(dir, 'model'), { recursive: true });
    const { resolvedMethod, ...config } = resolveTrainConfig(job.config);
    const record = { config, method: resolvedMethod, backend: 'wasm' as const, node: 'v20', versions: {}, startedAt: '2026-12-01T00:00:00.000Z', epochsDone: config.epochs };
    await writeRunRecord(dir, record);
    expect(await jobFinished(outDir, job)).toBe(true);
    // The same run made before scale-rt normalized its returns.
    const { normalizeReturns: _dropped, ...older } = resolvedMethod;
    await writeRunRecord(dir, { ...record, method: older });
    await expect(jobFinished(outDir, job)).rejects.toBeInstanceOf(StaleResultError);
  });
});
