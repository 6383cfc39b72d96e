import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { summarize, tCritical95 } from './statistics.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'scale-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scale train / eval / simulate', () => {
  it('trains, records the run, resumes, and evaluates at several N', () => {
    const out = join(dir, 'run');
    const first = run('train', '--method', 'scale', '--nodes', '8', '--epochs', '1', '--out', out);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    for (const file of ['config.json', 'metrics.csv', 'metrics.jsonl', 'checkpoint/model.json', 'model/weights.bin']) expect(existsSync(join(out, file))).toBe(true);
    const recorded = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(recorded.config).toMatchObject({ method: 'scale', nodes: 8, seed: 42, epochs: 1, backend: 'wasm' });
    expect(recorded.method).toMatchObject({ agent: 'ppo', encoder: 'cross-attention' });
    expect(typeof recorded.wallSeconds).toBe('number');

    const again = run('train', '--method', 'scale', '--nodes', '8', '--epochs', '2', '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`scale: ${out} already holds a run; pass --resume to continue it or choose another --out\n`);
    const changed = run('train', '--method', 'scale', '--nodes', '8', '--seed', '7', '--epochs', '2', '--out', out, '--resume');
    expect(changed.status).toBe(2);
    expect(changed.stderr).toMatch(/^scale: --resume: the config differs from .*config\.json; resume with the same settings\n$/);
    // A kill between the checkpoint swap's two renames leaves only `checkpoint.old`: resume recovers it.
    renameSync(join(out, 'checkpoint'), join(out, 'checkpoint.old'));
    const resumed = run('train', '--method', 'scale', '--nodes', '8', '--epochs', '2', '--out', out, '--resume');
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(existsSync(join(out, 'checkpoint.old'))).toBe(false);
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(3);

    const evaluation = run('eval', '--model', out, '--nodes', '8,12', '--episodes', '2', '--json');
    expect(evaluation.status).toBe(0);
    const results = JSON.parse(evaluation.stdout) as { nodes: number; meanResponseTime: { n: number; mean: number } }[];
    expect(results.map((r) => r.nodes)).toEqual([8, 12]);
    for (const r of results) {
      expect(r.meanResponseTime.n).toBe(2);
      expect(r.meanResponseTime.mean).toBeGreaterThan(0);
    }
  });

  it('rejects bad input with the field and a non-zero exit', () => {
    const bad = run('train', '--out', join(dir, 'bad'), '--nodes', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^scale: --nodes: expected a number >= 1, received 0$/m);
    const method = run('train', '--out', join(dir, 'bad2'), '--method', 'nope');
    expect(method.status).toBe(2);
    expect(method.stderr).toMatch(/method: expected one of scale, crossattn/);
    expect(run('eval', '--model', join(dir, 'missing')).status).toBe(2);
  });

  it('trains an imitation method (DAgger, the rollout expert) and names a bad expert base in one line', () => {
    const out = join(dir, 'imitation');
    const trained = run('train', '--method', 'crossattn-il', '--nodes', '6', '--epochs', '2', '--invalid-action', 'mask', '--out', out);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    const header = readFileSync(join(out, 'metrics.csv'), 'utf8').split('\n')[0] as string;
    for (const column of ['beta', 'labels', 'expertAgreement', 'loss', 'accuracy', 'labelsPerSec']) expect(header.split(',')).toContain(column);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).method).toMatchObject({ agent: 'dagger', srr: null });
    expect(run('eval', '--model', out, '--nodes', '6', '--episodes', '1').status).toBe(0);
    const config = join(dir, 'bad-expert.json');
    writeFileSync(config, JSON.stringify({ method: 'crossattn-il', epochs: 1, dagger: { bases: ['sjf', 'nope'] } }));
    const bad = run('train', '--config', config, '--out', join(dir, 'bad-expert'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^scale: dagger\.bases: expected heuristics from random, .*, received "nope"\n$/);
  });

  it('flags come from the schemas: every scalar training setting has one, and a bad value is one line naming the flag', () => {
    const help = run('train', '--help').stdout;
    for (const flag of ['--out <dir>', '--method <value>', '--nodes <n>', '--seed <n>', '--epochs <n>', '--envs <n>', '--backend <name>', '--invalid-action <name>', '--checkpoint-every <n>', '--resume', '--candidate-window <name>']) expect(help).toContain(flag);
    // commander wraps descriptions to the widest flag's column: compare with the wrapping undone.
    expect(help.replace(/\s+/g, ' ')).toMatch(/--nodes <n> training cluster size N \(an integer from 1 to 100000\)/);
    const every = run('train', '--out', join(dir, 'bad3'), '--checkpoint-every', '0');
    expect([every.status, every.stderr]).toEqual([2, 'scale: --checkpoint-every: expected a number >= 1, received 0\n']);
    const seeds = run('reproduce', '--seeds', '0');
    expect([seeds.status, seeds.stderr]).toEqual([2, 'scale: --seeds: expected an integer from 1 to 100, got 0\n']);
    const notANumber = run('reproduce', '--seeds', 'x');
    expect(notANumber.status).toBe(2);
    expect(notANumber.stderr.trim().split('\n')).toHaveLength(1);
    expect(run('train').stderr).toBe('scale: --out: expected a string, got nothing\n');
  });

  it('an optional backend that is not installed is one clear line and exit 2, not a stack trace', () => {
    const result = run('train', '--backend', 'tensorflow-gpu', '--epochs', '1', '--out', join(dir, 'gpu'));
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^scale: backend "tensorflow-gpu" is unavailable: the optional package @tensorflow\/tfjs-node-gpu is not installed/);
  });

  it('an MLP model evaluated at another N is refused with the N it was trained at, before any episode', () => {
    const out = join(dir, 'mlp');
    expect(run('train', '--method', 'ppo', '--nodes', '8', '--epochs', '1', '--out', out).status).toBe(0);
    const result = run('eval', '--model', out, '--nodes', '8,12', '--episodes', '2');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^scale: --nodes: the model in .*mlp has an MLP encoder trained at N = 8, which runs only at --nodes 8; received 12/);
    expect(run('eval', '--model', out, '--nodes', '8', '--episodes', '2', '--json').status).toBe(0);
  });

  it('eval --help shows the default cluster size as a flag value', () => {
    const help = run('eval', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--nodes <list> +cluster sizes, comma-separated[^-]*\(default: 16\)/);
    expect(help.stdout).not.toContain('[16]');
  });

  it('simulate runs the simulator heuristics with the scale-sim flags', () => {
    const result = run('simulate', '--nodes', '16', '--policy', 'eft', '--drain', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ policy: 'eft', nodes: 16, outcome: 'terminated' });
    expect(run('simulate', '--nodes', 'x').status).toBe(2);
  });
});

describe('statistics', () => {
  it('mean, sample std and the t-based 95% CI of the mean', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.ci95).toBeCloseTo((3.182 * Math.sqrt(5 / 3)) / 2, 12);
    expect(tCritical95(29)).toBe(2.045);
    expect(tCritical95(100)).toBe(1.96);
  });
});
