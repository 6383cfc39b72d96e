import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makePolicy } from './policies.js';
import { runEpisode } from './run.js';
import { createSimulation } from './setup.js';
import { Simulation } from './simulation.js';
import { checkTrace, parseScenario, type ScheduleTrace, type TraceAttempt } from './trace.js';

const baseTrace = (): ScheduleTrace => {
  const sim = runEpisode(createSimulation({ seed: 4, nodes: 8, horizon: 20, drain: true, communication: 'delays-start' }), makePolicy('eft'));
  return JSON.parse(JSON.stringify(sim.trace({ seed: 4 }))) as ScheduleTrace;
};

/** Replaces attempt `i` of a trace. */
const withAttempt = (trace: ScheduleTrace, i: number, change: Partial<TraceAttempt>): ScheduleTrace => ({
  ...trace,
  attempts: trace.attempts.map((a, k) => (k === i ? { ...a, ...change } : a)),
});

describe('trace checker', () => {
  it('accepts a real trace and detects each kind of broken rule', () => {
    const trace = baseTrace();
    expect(checkTrace(trace)).toEqual([]);
    const rules = (t: ScheduleTrace): string[] => [...new Set(checkTrace(t).map((v) => v.rule))];

    // Overlap: move an attempt onto the server of the attempt before it, at the same time.
    const [first, second] = trace.attempts as [TraceAttempt, TraceAttempt];
    expect(rules(withAttempt(trace, 1, { server: first.server, start: first.start, end: first.start + (second.end! - second.start), assigned: first.start }))).toContain('overlap');
    // Duration: stretch an attempt.
    expect(rules(withAttempt(trace, 0, { end: first.end! + 0.5 }))).toContain('duration');
    // Memory: a task that does not fit.
    const big = { ...trace, workflows: trace.workflows.map((w, i) => (i === 0 ? { ...w, tasks: w.tasks.map((t) => ({ ...t, memory: 1000 })) } : w)) };
    expect(rules(big)).toContain('memory');
    // Precedence: a child that starts before its parent ends.
    const childIndex = trace.attempts.findIndex((a) => trace.workflows.find((w) => w.id === a.workflow)!.tasks.find((t) => t.id === a.task)!.parents.length > 0);
    const child = trace.attempts[childIndex]!;
    expect(rules(withAttempt(trace, childIndex, { start: child.start - 100, end: child.end! - 100, assigned: child.start - 100 }))).toContain('precedence');
    // Metrics that do not recompute.
    expect(rules({ ...trace, metrics: { ...trace.metrics, meanResponseTime: (trace.metrics.meanResponseTime ?? 0) + 1 } })).toEqual(['metrics']);
    // A task completed twice.
    expect(rules({ ...trace, attempts: [...trace.attempts, { ...first, start: trace.metrics.time, end: trace.metrics.time + 1 }] })).toContain('completion');
    // An interruption that is not a failure of its server.
    expect(rules(withAttempt(trace, 0, { interrupted: true }))).toContain('preemption');
    // Work while the server is down.
    const down = { ...trace, servers: trace.servers.map((s) => (s.id === first.server ? { ...s, upIntervals: [[first.end!, null] as [number, null]] } : s)) };
    expect(rules(down)).toContain('server-down');
  });

  it('validates against the JSON Schema in ../shared (skipped when shared/ is absent)', (ctx) => {
    const schemaPath = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/schemas/scale-schedule-trace.schema.json');
    if (!existsSync(schemaPath)) {
      ctx.skip(`../shared is absent: ${schemaPath}`);
      return;
    }
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { required: string[]; properties: Record<string, { required?: string[]; items?: { required?: string[] } }> };
    const trace = baseTrace() as unknown as Record<string, unknown>;
    for (const key of schema.required) expect(trace).toHaveProperty(key);
    expect(trace['format']).toBe('scale-schedule-trace');
    expect(trace['version']).toBe(1);
    for (const section of ['servers', 'workflows', 'attempts'] as const) {
      const required = schema.properties[section]?.items?.required ?? [];
      for (const item of trace[section] as Record<string, unknown>[]) for (const key of required) expect(item).toHaveProperty(key);
    }
  });

  it('runs a scenario file: the trace of a run, re-run, gives the same schedule', () => {
    const trace = baseTrace();
    const { attempts: _attempts, metrics: _metrics, ...scenarioDoc } = trace;
    const scenario = parseScenario(scenarioDoc);
    const sim = runEpisode(new Simulation({ servers: scenario.servers, workflows: scenario.workflows, ...scenario.options }), makePolicy('eft'));
    expect(sim.trace().attempts).toEqual(trace.attempts);
  });

  it('names the field of a bad scenario', () => {
    const doc = { format: 'scale-schedule-trace', version: 1, servers: [{ id: 0, compute: -1, memory: 8 }], workflows: [] };
    expect(() => parseScenario(doc, 'bad.json')).toThrow(/bad\.json\.servers\.0\.compute: expected a number > 0/);
    const cyclic = {
      format: 'scale-schedule-trace',
      version: 1,
      servers: [{ id: 0, compute: 1, memory: 8 }],
      workflows: [{ id: 0, arrival: 0, tasks: [{ id: 0, compute: 1, memory: 1, output: 0, parents: [1] }, { id: 1, compute: 1, memory: 1, output: 0, parents: [0] }] }],
    };
    const s = parseScenario(cyclic);
    expect(() => new Simulation({ servers: s.servers, workflows: s.workflows })).toThrow(/workflow 0, task 0: parents form a cycle/);
  });
});
