import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readCheckpoint, useBackend } from '@scale/model';
import { Rng } from '@scale/workload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverCheckpoint, swapCheckpoint } from './checkpoint-swap.js';
import { TINY_RUN, tinyTrainingRun } from './internal/tiny-training-run.js';
import { MetricsLog } from './metrics-log.js';

let dir = '';
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'scale-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs')).href;

/**
 * What to do when the child reports an epoch's end: let it go on, kill it there, or let it go on
 * and kill it `ms` later (inside the next epoch's update, log append or checkpoint swap).
 */
type AtEpoch = 'continue' | 'kill' | { readonly killAfterMs: number };

/** Trains the tiny run in `outDir` in a child process; resolves with the epochs it reported and whether it was killed. */
function runChild(outDir: string, atEpoch: (epoch: number, count: number) => AtEpoch): Promise<{ epochs: number[]; killed: boolean }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, join(here, 'internal/tiny-training-run.ts'), outDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const epochs: number[] = [];
  let killed = false;
  let pending = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.on('error', () => {}); // a killed child's stdin closes under a late write
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const match = /^epoch (\d+)$/.exec(pending.slice(0, end));
      pending = pending.slice(end + 1);
      if (match === null || killed) continue;
      epochs.push(Number(match[1]));
      const action = atEpoch(Number(match[1]), epochs.length);
      if (action === 'kill') {
        killed = true;
        child.kill('SIGKILL');
        continue;
      }
      child.stdin.write('go\n');
      if (action !== 'continue') {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), action.killAfterMs);
      }
    }
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGKILL') resolve({ epochs, killed: signal === 'SIGKILL' });
      else reject(new Error(`training child exited with ${code ?? signal}: ${stderr}`));
    }),
  );
}

/**
 * `value` with every RNG state's words as uint32. A generator's words are int32 or uint32 depending
 * on its last operation (`Rng.fromState` makes them unsigned); both are the same state.
 */
function withUnsignedRngStates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withUnsignedRngStates);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([key, v]) => [key, (key === 'state' || key === 'key') && Array.isArray(v) ? v.map((w) => (w as number) >>> 0) : withUnsignedRngStates(v)]);
  return Object.fromEntries(entries);
}

const withoutTiming = {
  jsonl: (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => {
        const row = JSON.parse(line) as Record<string, unknown>;
        delete row.stepsPerSec;
        return JSON.stringify(row);
      }),
  csv: (text: string) => {
    const rows = text.trim().split('\n');
    const timing = (rows[0] as string).split(',').indexOf('stepsPerSec');
    return rows.map((row) => row.split(',').filter((_, column) => column !== timing));
  },
};

describe('kill -9 and resume', () => {
  it('gives the uninterrupted run: the same final checkpoint, bit for bit, and the same logs line for line', async () => {
    const straight = join(dir, 'straight');
    await tinyTrainingRun(straight);

    const killed = join(dir, 'killed');
    const rng = new Rng(2026);
    // 1. Killed at the end of epoch 1, before its first checkpoint, then started again (nothing to
    // resume): the dead run's row must not stay in the log.
    await runChild(killed, () => 'kill');
    expect(await recoverCheckpoint(join(killed, 'checkpoint'))).toBe(false);
    expect(await readFile(join(killed, 'metrics.jsonl'), 'utf8')).toMatch(/^\{"epoch":1,/);
    // 2. Killed at random moments after checkpoints: 1 to 4 epochs into each attempt, then up to
    // an epoch's time more (inside an update, a log append or a checkpoint swap). Each child costs
    // about 2 s of CPU to load tfjs, so two kills here; the seed picks where.
    const kills: string[] = [];
    for (let trial = 0; trial < 2; trial++) {
      const epochsIn = rng.int(1, 4);
      const killAfterMs = rng.uniform(0, 60);
      const run = await runChild(killed, (_epoch, count) => (count < epochsIn ? 'continue' : { killAfterMs }));
      kills.push(`${run.epochs.at(-1) ?? 'none'} + ${killAfterMs.toFixed(0)} ms${run.killed ? '' : ' (finished first)'}`);
    }
    // 3. Resumed to the end.
    const last = await runChild(killed, () => 'continue');
    expect(last.killed, `kills after epochs ${kills.join(', ')}`).toBe(false);
    expect(last.epochs.at(-1)).toBe(TINY_RUN.epochs);

    const straightJsonl = await readFile(join(straight, 'metrics.jsonl'), 'utf8');
    expect(withoutTiming.jsonl(straightJsonl)).toHaveLength(TINY_RUN.epochs);
    expect(withoutTiming.jsonl(await readFile(join(killed, 'metrics.jsonl'), 'utf8'))).toEqual(withoutTiming.jsonl(straightJsonl));
    expect(withoutTiming.csv(await readFile(join(killed, 'metrics.csv'), 'utf8'))).toEqual(withoutTiming.csv(await readFile(join(straight, 'metrics.csv'), 'utf8')));
    const a = await readCheckpoint(join(straight, 'checkpoint'));
    const b = await readCheckpoint(join(killed, 'checkpoint'));
    expect(withUnsignedRngStates(b.metadata)).toEqual(withUnsignedRngStates(a.metadata));
    expect([...b.arrays.keys()]).toEqual([...a.arrays.keys()]);
    for (const [name, array] of a.arrays) expect(Buffer.from(b.arrays.get(name)!.data.buffer).equals(Buffer.from(array.data.buffer)), name).toBe(true);
  });
});

describe('the checkpoint swap', () => {
  /** A one-array checkpoint holding `value`, written the way agents write theirs. */
  const write = (value: number) => (staging: string) => import('@scale/model').then((m) => m.writeCheckpoint(staging, new Map([['x', { shape: [1], data: Float32Array.of(value) }]]), { kind: 'test' }));
  const valueIn = async (directory: string) => (await readCheckpoint(directory)).arrays.get('x')?.data[0];

  it('replaces the checkpoint and leaves nothing beside it, even over a stale .old', async () => {
    const target = join(dir, 'swap', 'checkpoint');
    await mkdir(dirname(target), { recursive: true });
    await swapCheckpoint(target, write(1));
    await cp(target, `${target}.old`, { recursive: true });
    await swapCheckpoint(target, write(2));
    expect(await valueIn(target)).toBe(2);
    expect(existsSync(`${target}.old`)).toBe(false);
    expect(existsSync(`${target}.tmp`)).toBe(false);
  });

  it('recovers the new checkpoint after a kill between the two renames', async () => {
    const target = join(dir, 'between', 'checkpoint');
    await mkdir(dirname(target), { recursive: true });
    await write(1)(`${target}.old`);
    await write(2)(`${target}.tmp`);
    expect(await recoverCheckpoint(target)).toBe(true);
    expect(await valueIn(target)).toBe(2);
    expect(existsSync(`${target}.old`)).toBe(false);
  });

  it('falls back to the previous checkpoint when the new one is not whole', async () => {
    const target = join(dir, 'torn', 'checkpoint');
    await mkdir(dirname(target), { recursive: true });
    await write(1)(`${target}.old`);
    await write(2)(`${target}.tmp`);
    await writeFile(join(`${target}.tmp`, 'weights.bin'), Buffer.alloc(2));
    expect(await recoverCheckpoint(target)).toBe(true);
    expect(await valueIn(target)).toBe(1);
  });

  it('finds nothing to recover when no checkpoint was ever completed', async () => {
    const target = join(dir, 'never', 'checkpoint');
    await mkdir(dirname(target), { recursive: true });
    await write(1)(`${target}.tmp`);
    expect(await recoverCheckpoint(target)).toBe(false);
    expect(existsSync(target)).toBe(false);
  });
});

describe('MetricsLog.continueFrom', () => {
  it("drops rows after the checkpoint's epoch and torn lines; at 0, the whole log", async () => {
    const log = new MetricsLog(join(dir, 'log'));
    for (let epoch = 1; epoch <= 4; epoch++) await log.append({ epoch, meanReward: epoch / 10 });
    // A kill mid-append: the CSV row whole, the JSONL row torn.
    await writeFile(log.csvPath, `${await readFile(log.csvPath, 'utf8')}5,0.5\n6,`);
    await writeFile(log.jsonlPath, `${await readFile(log.jsonlPath, 'utf8')}{"epoch":5,"meanRe`);
    await log.continueFrom(3);
    expect(await readFile(log.csvPath, 'utf8')).toBe('epoch,meanReward\n1,0.1\n2,0.2\n3,0.3\n');
    expect((await readFile(log.jsonlPath, 'utf8')).trim().split('\n')).toEqual(['{"epoch":1,"meanReward":0.1}', '{"epoch":2,"meanReward":0.2}', '{"epoch":3,"meanReward":0.3}']);
    await log.append({ epoch: 4, meanReward: 0.4 });
    expect((await readFile(log.csvPath, 'utf8')).trim().split('\n').at(-1)).toBe('4,0.4');
    await log.continueFrom(0);
    expect(existsSync(log.csvPath) || existsSync(log.jsonlPath)).toBe(false);
    await log.append({ epoch: 1, other: 2 });
    expect(await readFile(log.csvPath, 'utf8')).toBe('epoch,other\n1,2\n');
  });

  it('names a bad epoch', async () => {
    await expect(new MetricsLog(join(dir, 'bad')).continueFrom(-1)).rejects.toThrow(/epoch: expected an integer >= 0, received -1/);
  });
});
