import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkTrace, type ScheduleTrace } from './trace.js';
import { POLICY_NAMES } from './policies.js';

// The built CLI (turbo runs `build` before `test`).
const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('scale-sim CLI', () => {
  it('prints metrics as one JSON object and writes a trace and a Gantt chart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scale-sim-'));
    const result = run('--nodes', '8', '--policy', 'eft', '--seed', '3', '--horizon', '20', '--drain', '--json', '--trace', join(dir, 't.json'), '--gantt', join(dir, 'g.svg'));
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const metrics = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(metrics).toMatchObject({ policy: 'eft', nodes: 8, seed: 3, outcome: 'terminated' });
    const trace = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as ScheduleTrace;
    expect(checkTrace(trace)).toEqual([]);
    expect(trace.metrics.meanResponseTime).toBe(metrics['meanResponseTime']);
    expect(trace.config).toMatchObject({ seed: 3, policy: 'eft', drain: true, horizon: 20 });
    const svg = readFileSync(join(dir, 'g.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<title>/g)?.length).toBe(trace.attempts.length);
  });

  it('runs every heuristic of the suite by name, and reports the headroom bound and the deferrals', () => {
    const result = run('--nodes', '8', '--policy', 'heft', '--seed', '2', '--horizon', '10', '--drain', '--json');
    expect(result.status).toBe(0);
    const metrics = JSON.parse(result.stdout) as Record<string, number>;
    expect(metrics).toMatchObject({ policy: 'heft', outcome: 'terminated' });
    expect(metrics['meanResponseTimeBound']).toBeGreaterThan(0);
    expect(metrics['meanResponseTimeBound']).toBeLessThanOrEqual(metrics['meanResponseTime'] as number);
    expect(metrics['deferrals']).toBeGreaterThanOrEqual(0);
    const text = run('--nodes', '8', '--policy', 'sufferage', '--seed', '2', '--horizon', '10', '--drain');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^lower bound +\d/m);
    const help = run('--help').stdout.replace(/\s+/g, ' ');
    const policyHelp = help.match(/--policy <name> heuristic policy: one of (.*?); or rollout-/)?.[1]?.split(', ');
    expect(policyHelp).toEqual([...POLICY_NAMES]);
  });

  it('runs a clairvoyant rollout by name, never worse than its base on a drained episode', () => {
    const args = ['--nodes', '6', '--seed', '4', '--horizon', '15', '--lambda16', '3', '--drain', '--json'];
    const base = JSON.parse(run(...args, '--policy', 'sjf').stdout) as Record<string, number | string>;
    const result = run(...args, '--policy', 'rollout-sjf+fifo');
    expect(result.status).toBe(0);
    const metrics = JSON.parse(result.stdout) as Record<string, number | string>;
    expect(metrics).toMatchObject({ policy: 'rollout-sjf+fifo', outcome: 'terminated', completedTasks: base['completedTasks'] });
    expect(metrics['meanResponseTime'] as number).toBeLessThanOrEqual(base['meanResponseTime'] as number);
  });

  it('runs a scenario file, with upIntervals failing and rejoining a server', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scale-sim-'));
    const scenario = {
      format: 'scale-schedule-trace',
      version: 1,
      config: { horizon: 5, drain: true },
      servers: [
        { id: 0, tier: 'small', compute: 1, memory: 8 },
        { id: 1, tier: 'large', compute: 4, memory: 80, upIntervals: [[0, 0.5], [2, null]] },
      ],
      workflows: [{ id: 0, arrival: 0, tasks: [{ id: 0, compute: 4, memory: 4, output: 1, parents: [] }] }],
    };
    writeFileSync(join(dir, 's.json'), JSON.stringify(scenario));
    const result = run('--scenario', join(dir, 's.json'), '--json', '--trace', join(dir, 't.json'));
    expect(result.status).toBe(0);
    const trace = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as ScheduleTrace;
    expect(trace.attempts.map((a) => [a.server, a.start, a.end, a.interrupted])).toEqual([
      [1, 0, 0.5, true],
      [0, 0.5, 4.5, false],
    ]);
  });

  it('is byte-identical for the same seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scale-sim-'));
    for (const name of ['a', 'b']) expect(run('--nodes', '16', '--seed', '9', '--horizon', '10', '--policy', 'random', '--trace', join(dir, `${name}.json`)).status).toBe(0);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
  });

  it('prints its help once, with every default as a plain value', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.match(/Usage: scale-sim/g)).toHaveLength(1);
    expect(result.stdout.match(/--help/g)).toHaveLength(1);
    const flat = result.stdout.replace(/\s+/g, ' ');
    expect(flat).toMatch(/--nodes <n> cluster size N.*?\(an integer from 1 to 100000\) \(default: 16\)/);
    expect(flat).toMatch(/--workload <source> .*?\(default: paper\)/);
    expect(result.stdout).not.toMatch(/\[16\]/);
  });

  it.each([
    [['--nodes', '0'], /^scale-sim: --nodes: expected an integer from 1 to 100000, got 0$/],
    [['--nodes', 'many'], /--nodes must be a number, got "many"/],
    [['--policy', 'greedy'], /^scale-sim: --policy: expected one of random, round-robin, fastest, eft, best-fit, .*, or rollout-<one or more of those joined by \+> \(clairvoyant lookahead\), got "greedy"$/],
    [['--policy', 'rollout-greedy'], /^scale-sim: --policy: expected one of .*, got "rollout-greedy"$/],
    [['--horizon', '0'], /--horizon: expected a number > 0/],
    [['--drain', '--horizon', '10', '--drain-limit', '5'], /--drain-limit: expected a time >= horizon \(10\)/],
    [['--communication', 'psychic'], /Allowed choices are reward-only, delays-start/],
    [['--workload', 'csv:foo'], /--workload: expected/],
    [['--workload', 'wfformat:/nonexistent/x.json'], /cannot be read/],
    [['--scenario', '/nonexistent.json'], /^scale-sim: --scenario: expected a readable JSON file/],
    [['--scenario', 'missing.json'], /^scale-sim: --scenario: expected a readable JSON file .*, got "missing.json"$/],
    [['--latency', '-1'], /^scale-sim: --latency: expected a number >= 0, got -1$/],
    [['--mtbf', '10'], /--mtbf and --mttr go together/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ])('rejects %j with one clear line on stderr and exit code 2', (args, message) => {
    const result = run(...(args as string[]));
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message as RegExp);
  });
});
