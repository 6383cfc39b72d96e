import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workflow } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import type { ServerSpec } from './cluster.js';
import { makePolicy } from './policies.js';
import { runEpisode } from './run.js';
import type { SimulationOptionsInput } from './options.js';
import { Simulation } from './simulation.js';
import { checkTrace, readScenarioFile } from './trace.js';

// fixtures/two-servers.scenario.json: server 0 is small (C=1, M=8), server 1 large (C=4, M=80).
// Workflow 0 at t=0: A -> B, A -> C (C needs 10 GB: only the large server holds it).
// Workflow 1 at t=1: D alone.
const fixture = readScenarioFile(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/two-servers.scenario.json'));
const workflows: Workflow[] = fixture.workflows;
const servers = (up1?: [number, number | null][]): ServerSpec[] => [
  fixture.servers[0] as ServerSpec,
  { ...(fixture.servers[1] as ServerSpec), ...(up1 ? { upIntervals: up1 } : {}) },
];

const run = (options: SimulationOptionsInput, s = servers(), w = workflows): Simulation =>
  runEpisode(new Simulation({ servers: s, workflows: w, horizon: 10, drain: true, ...options }), makePolicy('eft'));

const attempts = (sim: Simulation) => sim.trace().attempts.map((a) => [a.workflow, a.task, a.server, a.start, a.end, a.interrupted]);

describe('hand-computed scenario', () => {
  it('reproduces every start, end and response time under eft, reward-only', () => {
    const sim = run({});
    // t=0: A on the large server (fastest), 0 -> 1.
    // t=1: A completes before wf1 arrives (completions first). Ready, by hops then arrival then id: B, C, D.
    //      B -> large (1 -> 1.5). C needs 10 GB and only the small server is idle: skipped; D -> small (1 -> 3).
    // t=1.5: B done; C -> large (1.5 -> 3.5). t=3: D done. t=3.5: C done; drained.
    expect(attempts(sim)).toEqual([
      [0, 0, 1, 0, 1, false],
      [0, 1, 1, 1, 1.5, false],
      [1, 0, 0, 1, 3, false],
      [0, 2, 1, 1.5, 3.5, false],
    ]);
    const m = sim.metrics();
    expect(sim.outcome).toBe('terminated');
    expect(m.time).toBe(3.5);
    expect(m.meanResponseTime).toBe((1 + 1.5 + 3.5 + 2) / 4);
    expect(m.p50ResponseTime).toBe(1.75);
    expect(m.meanWorkflowResponseTime).toBe((3.5 + 2) / 2);
    expect(m.completedTasks).toBe(4);
    expect(m.makespan).toBe(3.5);
    expect(m.utilization).toBeCloseTo(5.5 / 7, 12);
    // Small: idle 30 W x 1.5 s + busy 100 W x 2 s; large: busy 400 W x 3.5 s.
    expect(m.energy).toBeCloseTo(45 + 200 + 1400, 9);
    expect(sim.decisions).toBe(4);
    expect(checkTrace(sim.trace())).toEqual([]);
  });

  it('delays a child on another server by d/B + L under delays-start', () => {
    const sim = new Simulation({ servers: servers(), workflows, horizon: 10, drain: true, communication: 'delays-start' });
    expect(sim.next()).toBe(true);
    expect(sim.task).toBe(0);
    sim.assign(1); // A on large: 0 -> 1
    expect(sim.next()).toBe(true);
    expect(sim.now).toBe(1);
    expect(sim.taskLocalId(sim.task)).toBe(1); // B
    const b = sim.assign(0); // B on small, away from A's output (1 GB): waits 1/10 + 0.01 s
    expect(b.assigned).toBe(1);
    expect(b.start).toBeCloseTo(1.11, 12);
    expect(b.end).toBeCloseTo(3.11, 12);
    expect(b.commTime).toBeCloseTo(0.11, 12);
    while (sim.next()) sim.assign(makePolicy('eft').choose(sim));
    const trace = sim.trace();
    expect(trace.attempts[1]).toMatchObject({ server: 0, assigned: 1, end: b.end });
    expect(checkTrace(trace)).toEqual([]);
  });

  it('returns an interrupted task to the ready set on failure and loses nothing', () => {
    // The large server fails at 0.5 while A runs, and rejoins at 2.
    const sim = run({}, servers([[0, 0.5], [2, null]]), [workflows[0] as Workflow]);
    expect(attempts(sim)).toEqual([
      [0, 0, 1, 0, 0.5, true], // interrupted
      [0, 0, 0, 0.5, 4.5, false], // A again, on the small server: 4 s
      [0, 1, 1, 4.5, 5, false], // B on the large server, back since t=2
      [0, 2, 1, 5, 7, false], // C after B (large is the only server that fits)
    ]);
    expect(sim.metrics().interruptedAttempts).toBe(1);
    expect(sim.trace().servers[1]?.upIntervals).toEqual([[0, 0.5], [2, null]]);
    expect(checkTrace(sim.trace())).toEqual([]);
  });

  it('lets a leaving server finish its task first', () => {
    const sim = run({ elasticEvents: [{ time: 0.5, kind: 'leave', server: 1 }] }, servers(), [
      { id: 0, arrival: 0, tasks: [workflows[0]!.tasks[0]!, workflows[0]!.tasks[1]!] },
    ]);
    expect(attempts(sim)).toEqual([
      [0, 0, 1, 0, 1, false], // A finishes on the leaving server
      [0, 1, 0, 1, 3, false], // B: only the small server is left
    ]);
    expect(sim.trace().servers[1]?.upIntervals).toEqual([[0, 1]]);
  });

  it('advances exactly dt on an invalid choice in penalize mode and rejects it in mask mode', () => {
    const sim = new Simulation({ servers: servers(), workflows, horizon: 10, invalidActionDelay: 0.25 });
    sim.next();
    sim.assign(1);
    sim.next(); // t=1, B pending; large idle, small idle
    sim.assign(1); // B on large 1 -> 1.5
    sim.next(); // D pending (C does not fit the small server)
    expect(sim.act(1)).toBeNull(); // large is busy: wait
    expect(sim.now).toBe(1.25);
    expect(sim.invalidActions).toBe(1);
    const masked = new Simulation({ servers: servers(), workflows, horizon: 10, invalidAction: 'mask' });
    masked.next();
    masked.assign(0);
    masked.next();
    expect(() => masked.act(0)).toThrow(/server 0 is not a valid choice/);
  });

  it('truncates at the horizon without draining', () => {
    const sim = run({ drain: false, horizon: 2 });
    expect(sim.outcome).toBe('truncated');
    expect(sim.now).toBe(2);
    const trace = sim.trace();
    expect(trace.attempts.filter((a) => a.end === null)).toHaveLength(2); // D (1 -> 3) and C (1.5 -> 3.5) still running
    expect(checkTrace(trace)).toEqual([]);
  });
});
