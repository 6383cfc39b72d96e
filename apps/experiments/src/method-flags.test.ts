import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'scale-method-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scale train: the method's swaps as flags (issue 14)", () => {
  it('lists --reward, --features, --actions, --defer, --candidates and --discount', () => {
    const help = run('train', '--help').stdout;
    for (const flag of ['--reward <name>', '--features <name>', '--actions <name>', '--defer', '--candidates <n>', '--discount <name>', 'scale-rt']) expect(help).toContain(flag);
  });

  it('a flag refines the chosen method, the run records it, and eval builds the env the network was built for', () => {
    const out = join(dir, 'rt');
    const trained = run('train', '--method', 'crossattn', '--reward', 'response-time', '--features', 'queue-aware', '--actions', 'task-and-server', '--defer', '--candidates', '2', '--nodes', '8', '--epochs', '1', '--out', out);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    const recorded = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(recorded.config.method).toMatchObject({ agent: 'ppo', encoder: 'cross-attention', srr: null, env: { objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 2 } });
    const evaluation = run('eval', '--model', out, '--nodes', '8,12', '--episodes', '1', '--json');
    expect(evaluation.stderr).toBe('');
    expect(evaluation.status).toBe(0);
    expect((JSON.parse(evaluation.stdout) as { nodes: number }[]).map((r) => r.nodes)).toEqual([8, 12]);
  });

  it('a swap the method cannot take is one line naming the field, exit 2', () => {
    const result = run('train', '--method', 'ppo', '--actions', 'task-and-server', '--epochs', '1', '--out', join(dir, 'mlp'));
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('method.encoder');
    const bad = run('train', '--reward', 'latency', '--epochs', '1', '--out', join(dir, 'bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--reward');
    expect(bad.stderr).toContain('paper, response-time');
  });
});
