import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMethod } from '@scale/agents';
import { afterAll, describe, expect, it } from 'vitest';
import { RunRecordError, StaleResultError } from './errors.js';
import { jobFinished } from './jobs.js';
import type { TrainJob } from './plan.js';
import { type RunRecord, RunRecordSchema, readRunRecord, writeRunRecord } from './run-record.js';
import { resolveTrainConfig } from './train-config.js';

const directories: string[] = [];
afterAll(async () => {
  for (const d of directories) await rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scale-run-record-'));
  directories.push(dir);
  return dir;
}

function recordOf(input: Parameters<typeof resolveTrainConfig>[0], extra: Partial<RunRecord> = {}): RunRecord {
  const { resolvedMethod, ...config } = resolveTrainConfig(input);
  return { config, method: resolvedMethod, backend: config.backend, node: 'v20', versions: {}, startedAt: '2026-01-01T00:00:00.000Z', ...extra };
}

describe('RunRecord', () => {
  it('reads back exactly what was written, the config as recorded (not re-parsed)', async () => {
    const dir = await scratch();
    const record = recordOf({ method: 'ppo', nodes: 8, epochs: 3 }, { wallSeconds: 1.5, epochsDone: 3, globalStep: 3072 });
    await writeRunRecord(dir, record);
    const read = await readRunRecord(dir);
    expect(JSON.stringify(read)).toBe(JSON.stringify(record));
    // The nested agent settings stay as recorded: parsing `{}` again would fill in PPO's defaults.
    expect(read?.config.ppo).toEqual({});
    expect(read?.method).toEqual(resolveMethod('ppo'));
  });

  it('null for a directory without a record; a clear error for one that is not JSON or not a record', async () => {
    const dir = await scratch();
    expect(await readRunRecord(dir)).toBeNull();
    expect(await readRunRecord(join(dir, 'missing'))).toBeNull();
    await writeFile(join(dir, 'config.json'), '{"config": {');
    await expect(readRunRecord(dir)).rejects.toMatchObject({ name: 'RunRecordError', problem: 'unreadable' });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...recordOf({}), config: { nodes: 0 } }));
    const error = await readRunRecord(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunRecordError);
    expect((error as RunRecordError).problem).toBe('invalid');
    expect((error as Error).message).toMatch(/config\.json: not a run record \(config: not a training config of this version\)$/);
    expect(RunRecordSchema.safeParse({ ...recordOf({}), backend: 'gpu' }).success).toBe(false);
  });

  it('a reproduction reads a finished run from its record, a cut-short record as unfinished and a foreign one as stale', async () => {
    const outDir = await scratch();
    const job: TrainJob = { kind: 'train', id: 'train:runs/paper/ppo-seed42', dir: 'runs/paper/ppo-seed42', label: 'train ppo', config: { method: 'ppo', seed: 42, epochs: 2 } };
    const dir = join(outDir, job.dir);
    await mkdir(join(dir, 'model'), { recursive: true });
    await writeRunRecord(dir, recordOf(job.config));
    expect(await jobFinished(outDir, job)).toBe(false);
    await writeRunRecord(dir, recordOf(job.config, { epochsDone: 2 }));
    expect(await jobFinished(outDir, job)).toBe(true);
    await writeFile(join(dir, 'config.json'), '{"con');
    expect(await jobFinished(outDir, job)).toBe(false);
    await writeRunRecord(dir, recordOf({ ...job.config, seed: 43 }, { epochsDone: 2 }));
    await expect(jobFinished(outDir, job)).rejects.toBeInstanceOf(StaleResultError);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ config: { method: 'ppo', unknownSetting: 1 } }));
    await expect(jobFinished(outDir, job)).rejects.toBeInstanceOf(StaleResultError);
  });
});
