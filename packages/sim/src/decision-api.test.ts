import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import type { ServerSpec } from './cluster.js';
import { InvalidActionError, SimulationStateError } from './errors.js';
import { makePolicy } from './policies.js';
import { createSimulation } from './setup.js';
import { Simulation } from './simulation.js';
import { checkTrace, readScenarioFile } from './trace.js';
import { TaskStatus, type SimulationView } from './view.js';

// fixtures/two-servers.scenario.json: server 0 is small (C=1, M=8), server 1 large (C=4, M=80).
// Workflow 0 at t=0: A -> B, A -> C (C needs 10 GB). Workflow 1 at t=1: D alone. Global indices A..D = 0..3.
const fixture = readScenarioFile(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/two-servers.scenario.json'));
const scenario = (options: { drain?: boolean } = {}): Simulation =>
  new Simulation({ servers: fixture.servers as ServerSpec[], workflows: fixture.workflows, horizon: 10, drain: options.drain ?? true });

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 35 : ci);

describe('assignTask', () => {
  it('starts a ready task other than the level-1 one, and next() picks the level-1 task afresh', () => {
    const sim = scenario();
    sim.next();
    sim.assign(1); // A on the large server, 0 -> 1
    expect(sim.next()).toBe(true);
    expect(sim.now).toBe(1);
    expect(sim.task).toBe(1); // B
    expect(sim.readyTasksInOrder()).toEqual([1, 2, 3]);
    const d = sim.assignTask(3, 1); // D on the large server instead of B
    expect(d).toMatchObject({ task: 3, server: 1, assigned: 1, start: 1, end: 1.5 });
    expect(sim.taskStatus(3)).toBe(TaskStatus.Running);
    expect(sim.readyTasks).toBe(2);
    expect(sim.decisions).toBe(2);
    expect(sim.next()).toBe(true);
    expect(sim.task).toBe(1); // B again: the small server holds it
    expect(sim.now).toBe(1);
    while (sim.next()) sim.assign(makePolicy('eft').choose(sim));
    expect(sim.outcome).toBe('terminated');
    expect(checkTrace(sim.trace())).toEqual([]);
  });

  it('with the pending task, does exactly what assign does', () => {
    const viaAssign = scenario();
    const viaTask = scenario();
    const eft = makePolicy('eft');
    while (viaAssign.next()) viaAssign.assign(eft.choose(viaAssign));
    while (viaTask.next()) viaTask.assignTask(viaTask.task, eft.choose(viaTask));
    expect(JSON.stringify(viaTask.trace())).toBe(JSON.stringify(viaAssign.trace()));
  });

  it('rejects a task that is not ready and a server that is not valid for the task', () => {
    const sim = scenario();
    sim.next();
    expect(() => sim.assignTask(1, 1)).toThrow(SimulationStateError); // B waits for A
    expect(() => sim.assignTask(99, 1)).toThrow(SimulationStateError);
    sim.assign(1);
    sim.next();
    // C needs 10 GB: the small server is too small; the large one is idle at t=1.
    expect(() => sim.assignTask(2, 0)).toThrow(InvalidActionError);
    expect(sim.isValidFor(2, 0)).toBe(false);
    expect(sim.isValidFor(2, 1)).toBe(true);
    expect(sim.isValidFor(0, 1)).toBe(false); // A is done
    expect(sim.readyTasks).toBe(3); // nothing changed
  });

  it('needs a pending decision', () => {
    const sim = scenario();
    expect(() => sim.assignTask(0, 1)).toThrow(SimulationStateError);
    expect(() => sim.deferToNextEvent()).toThrow(SimulationStateError);
  });
});

describe('deferToNextEvent', () => {
  it('moves the clock to the next event and offers the decision again then', () => {
    const sim = scenario();
    sim.next();
    expect(sim.task).toBe(0);
    sim.deferToNextEvent(); // next event: workflow 1 arrives at t=1
    expect(sim.now).toBe(1);
    expect(sim.task).toBe(-1);
    expect(sim.deferrals).toBe(1);
    expect(sim.decisions).toBe(0);
    expect(sim.next()).toBe(true);
    expect(sim.now).toBe(1);
    expect(sim.task).toBe(0); // A still leads the ready set
    expect(sim.readyTasksInOrder()).toEqual([0, 3]);
    sim.assign(1); // A: 1 -> 2
    sim.next();
    sim.assign(0); // D on the small server: 1 -> 3
    expect(sim.next()).toBe(true); // both servers busy: next() runs to A's completion
    expect(sim.now).toBe(2);
    expect(sim.task).toBe(1); // B
  });

  it('with no event left before the limit, moves to the limit and the run ends', () => {
    const sim = scenario();
    sim.next();
    sim.assign(1); // A: 0 -> 1
    sim.next(); // t=1: B, C, D ready; the small server idle
    expect(sim.task).toBe(1);
    sim.deferToNextEvent(); // nothing runs and no workflow is left to arrive
    expect(sim.now).toBe(100); // the drain limit, 10 x horizon
    expect(sim.next()).toBe(false);
    expect(sim.outcome).toBe('truncated');
    expect(checkTrace(sim.trace())).toEqual([]);
  });
});

describe('the view', () => {
  it('agrees with the trace and with a brute-force reading of the state at every decision', () => {
    const sim = createSimulation({ seed: 7, nodes: 12, horizon: 4, drain: true, communication: 'delays-start', failures: { mtbf: 8, mttr: 1 } });
    const eft = makePolicy('eft');
    while (sim.next()) {
      checkView(sim);
      sim.assign(eft.choose(sim));
    }
    const trace = sim.trace();
    for (let w = 0; w < sim.workflowCount; w++) {
      const workflow = trace.workflows[w];
      expect(sim.workflowId(w)).toBe(workflow?.id);
      expect(sim.workflowArrival(w)).toBe(workflow?.arrival);
      expect(sim.workflowProgress(w)).toBe(1);
      for (let k = 0; k < sim.workflowSize(w); k++) {
        const t = sim.workflowFirstTask(w) + k;
        const task = workflow?.tasks[k];
        expect(sim.taskLocalId(t)).toBe(task?.id);
        expect(sim.taskCompute(t)).toBe(task?.compute);
        expect(sim.parentCount(t)).toBe(task?.parents.length);
        const children = workflow?.tasks.filter((c) => c.parents.includes(task?.id as number)).length;
        expect(sim.successorCount(t)).toBe(children);
        for (let i = 0; i < sim.successorCount(t); i++) expect(sim.taskWorkflow(sim.successorAt(t, i))).toBe(w);
      }
    }
  });
});

/** Checks the view's derived accessors against their definitions. */
function checkView(sim: SimulationView): void {
  const ready: number[] = [];
  for (let i = 0; i < sim.readyTasks; i++) ready.push(sim.readyTaskAt(i));
  for (const t of ready) expect(sim.taskStatus(t)).toBe(TaskStatus.Ready);
  expect(ready).toContain(sim.task);
  for (let j = 0; j < sim.serverCount; j++) {
    expect(sim.isIdle(j)).toBe(sim.isUp(j) && sim.serverTask(j) === -1);
    expect(sim.serverFreeAt(j) - sim.now).toBeCloseTo(sim.remainingTime(j), 9);
    expect(sim.isValid(j)).toBe(sim.isValidFor(sim.task, j));
    if (sim.isIdle(j)) expect(sim.firstIdleInClass(sim.serverClass(j))).toBeLessThanOrEqual(j);
  }
  for (let k = 0; k < sim.classCount; k++) {
    let idle = 0;
    for (let j = 0; j < sim.serverCount; j++) if (sim.serverClass(j) === k && sim.isIdle(j)) idle++;
    expect(sim.idleCountInClass(k)).toBe(idle);
  }
  const t = sim.task;
  let valid = false;
  for (let j = 0; j < sim.serverCount; j++) valid ||= sim.isValidFor(t, j);
  expect(sim.hasValidServer(t)).toBe(valid);
  for (let i = 0; i < sim.parentCount(t); i++) {
    const parent = sim.parentAt(t, i);
    expect(sim.taskStatus(parent)).toBe(TaskStatus.Done);
    expect(sim.parentTransfer(t, i, sim.taskServer(parent))).toBe(0);
  }
}

describe('any-task and defer decisions (random driver)', () => {
  it('keep the trace valid and the counters conserved', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 100_000 }),
          nodes: fc.integer({ min: 1, max: 40 }),
          communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
          deferRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
          drain: fc.boolean(),
        }),
        (c) => {
          const sim = createSimulation({ seed: c.seed, nodes: c.nodes, horizon: 3, drain: c.drain, communication: c.communication });
          const rng = new Rng(c.seed).child('driver');
          let lastTime = 0;
          while (sim.next()) {
            expect(sim.now).toBeGreaterThanOrEqual(lastTime);
            lastTime = sim.now;
            if (rng.next() < c.deferRate) {
              sim.deferToNextEvent();
              continue;
            }
            // A random ready task that has a valid server, on a random valid server.
            const candidates: number[] = [];
            for (let i = 0; i < sim.readyTasks; i++) if (sim.hasValidServer(sim.readyTaskAt(i))) candidates.push(sim.readyTaskAt(i));
            const task = candidates[rng.int(0, candidates.length - 1)] as number;
            const servers: number[] = [];
            for (let j = 0; j < sim.serverCount; j++) if (sim.isValidFor(task, j)) servers.push(j);
            sim.assignTask(task, servers[rng.int(0, servers.length - 1)] as number);
            expect(sim.waitingTasks + sim.readyTasks + sim.runningTasks + sim.doneTasks).toBe(sim.arrivedTasks);
          }
          expect(checkTrace(sim.trace())).toEqual([]);
        },
      ),
      { numRuns: runs(25), seed: 13 },
    );
  });
});
