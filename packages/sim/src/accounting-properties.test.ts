import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import type { ServerSpec } from './cluster.js';
import { DEFER } from './decision.js';
import { InvalidActionError, SimulationStateError } from './errors.js';
import { createSimulation } from './setup.js';
import { Simulation } from './simulation.js';
import { checkTrace, readScenarioFile } from './trace.js';
import { TaskStatus } from './view.js';

// fixtures/two-servers.scenario.json: server 0 small (C=1, M=8), server 1 large (C=4, M=80).
// Workflow 0 at t=0: A (c=4) -> B (c=2), A -> C (c=8, 10 GB). Workflow 1 at t=1: D (c=2). Global indices A..D = 0..3.
const fixture = readScenarioFile(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/two-servers.scenario.json'));
const scenario = (invalidAction: 'penalize' | 'mask' = 'penalize'): Simulation =>
  new Simulation({ servers: fixture.servers as ServerSpec[], workflows: fixture.workflows, horizon: 10, drain: true, invalidAction });

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 35 : ci);

/** The accounting accessors read directly off the task states. */
function bruteForce(sim: Simulation): { area: number; readyWork: number; remaining: number[] } {
  let area = 0;
  let readyWork = 0;
  const remaining: number[] = [];
  for (let w = 0; w < sim.workflowCount; w++) {
    const arrival = sim.workflowArrival(w);
    let left = 0;
    for (let t = sim.workflowFirstTask(w); t < sim.workflowFirstTask(w) + sim.workflowSize(w); t++) {
      const status = sim.taskStatus(t);
      if (status !== TaskStatus.NotArrived) area += (status === TaskStatus.Done ? sim.taskEnd(t) : sim.now) - arrival;
      if (status === TaskStatus.Ready) readyWork += sim.taskCompute(t);
      if (status !== TaskStatus.Done) left += sim.taskCompute(t);
    }
    remaining.push(left);
  }
  return { area, readyWork, remaining };
}

describe('response-time accounting and work accessors', () => {
  it('track the brute-force area, ready work and remaining work at every decision (failures, any ready task, defers)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 24 }), fc.boolean(), (seed, nodes, failures) => {
        const sim = createSimulation({ seed, nodes, horizon: 6, drain: true, ...(failures ? { failures: { mtbf: 6, mttr: 1 } } : {}) });
        const rng = new Rng(seed).child('choices');
        while (sim.next()) {
          const brute = bruteForce(sim);
          expect(sim.responseTimeArea).toBeCloseTo(brute.area, 6);
          expect(sim.readyWork).toBeCloseTo(brute.readyWork, 9);
          brute.remaining.forEach((left, w) => {
            expect(sim.workflowRemainingWork(w)).toBeCloseTo(left, 9);
          });
          expect(sim.canDefer()).toBe(sim.nextEventTime < sim.timeLimit);
          if (sim.canDefer() && rng.next() < 0.2) {
            sim.actDefer();
            continue;
          }
          const ready = sim.readyTasksInOrder().filter((t) => sim.hasValidServer(t));
          const task = ready[rng.int(0, ready.length - 1)] as number;
          const servers = Array.from({ length: sim.serverCount }, (_, j) => j).filter((j) => sim.isValidFor(task, j));
          expect(sim.actTask(task, servers[rng.int(0, servers.length - 1)] as number)).not.toBeNull();
        }
        // Drained: the area is the sum of the response times.
        const metrics = sim.metrics();
        if (sim.outcome === 'terminated' && metrics.meanResponseTime !== null) {
          expect(sim.responseTimeArea).toBeCloseTo(metrics.meanResponseTime * metrics.completedTasks, 6);
        }
        for (let w = 0; w < sim.workflowCount; w++) expect(sim.workflowWork(w)).toBeCloseTo(bruteForceTotal(sim, w), 12);
        expect(checkTrace(sim.trace())).toEqual([]);
      }),
      { numRuns: runs(25) },
    );
  });

  it('computes the hand-built scenario exactly', () => {
    const sim = scenario();
    sim.next();
    expect(sim.responseTimeArea).toBe(0);
    expect(sim.readyWork).toBe(4);
    expect([sim.workflowWork(0), sim.workflowWork(1)]).toEqual([14, 2]);
    sim.assign(1); // A on the large server: 0 -> 1
    sim.next(); // t=1: B, C, D ready
    expect(sim.now).toBe(1);
    expect(sim.responseTimeArea).toBe(3); // three tasks of workflow 0 for 1 s
    expect(sim.readyWork).toBe(12);
    expect(sim.workflowRemainingWork(0)).toBe(10);
    expect(sim.nextEventTime).toBe(Number.POSITIVE_INFINITY);
  });
});

function bruteForceTotal(sim: Simulation, w: number): number {
  let work = 0;
  for (let t = sim.workflowFirstTask(w); t < sim.workflowFirstTask(w) + sim.workflowSize(w); t++) work += sim.taskCompute(t);
  return work;
}

describe('actTask and actDefer', () => {
  it('actTask: valid starts the task; invalid is penalized (counted, the clock moves by dt) or throws in mask mode', () => {
    const sim = scenario();
    sim.next();
    sim.assign(1); // A on the large server until t=1
    sim.next();
    expect(sim.actTask(3, 0)?.task).toBe(3); // D on the small server
    sim.next();
    // C needs 10 GB: the small server cannot hold it, and it is busy anyway.
    const decisions = sim.decisions;
    expect(sim.actTask(2, 0)).toBeNull();
    expect(sim.invalidActions).toBe(1);
    expect(sim.decisions).toBe(decisions + 1);
    expect(sim.now).toBeCloseTo(1 + sim.options.invalidActionDelay, 12);
    sim.next();
    expect(() => sim.actTask(2, 7)).toThrow(InvalidActionError); // no such server, in any mode
    expect(() => sim.actTask(0, 1)).toThrow(SimulationStateError); // A is done

    const masked = scenario('mask');
    masked.next();
    expect(() => masked.actTask(0, 5)).toThrow(InvalidActionError);
    masked.assign(1);
    masked.next();
    masked.actTask(3, 0);
    masked.next();
    expect(() => masked.actTask(2, 0)).toThrow(InvalidActionError);
  });

  it('actDefer: valid while an event comes before the limit; otherwise penalized or an InvalidActionError naming defer', () => {
    const sim = scenario();
    sim.next(); // t=0: A; workflow 1 arrives at t=1
    expect(sim.canDefer()).toBe(true);
    expect(sim.actDefer()).toBe(true);
    expect([sim.now, sim.deferrals, sim.decisions]).toEqual([1, 1, 0]);
    sim.next();
    sim.assign(1); // A on the large server until t=2
    sim.next();
    sim.assign(0); // D on the small server until t=3
    sim.next(); // t=2: B
    sim.assign(1); // B until 2.5
    sim.next(); // t=2.5: C; D's completion at 3 is queued
    expect(sim.canDefer()).toBe(true);
    sim.assign(1);
    expect(sim.canDefer()).toBe(false); // no decision pending

    // t=1 with both servers idle, no arrival left and nothing running: no event can come.
    const stuck = (mode: 'penalize' | 'mask'): Simulation => {
      const s = scenario(mode);
      s.next();
      s.assign(1); // A: 0 -> 1
      s.next();
      return s;
    };
    const penalized = stuck('penalize');
    expect(penalized.canDefer()).toBe(false);
    expect(penalized.nextEventTime).toBe(Number.POSITIVE_INFINITY);
    expect(penalized.actDefer()).toBe(false);
    expect([penalized.invalidActions, penalized.deferrals]).toEqual([1, 0]);
    expect(penalized.now).toBeCloseTo(1 + penalized.options.invalidActionDelay, 12);
    const masked = stuck('mask');
    expect(() => masked.actDefer()).toThrow(new InvalidActionError(DEFER, 'no-next-event', 1));
    expect(() => masked.actDefer()).toThrow(/^defer is not a valid choice at t=1: no event comes before the time limit$/);
  });
});
