import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFER } from './decision.js';
import { makePolicy, POLICY_NAMES, type Policy } from './policies.js';
import { runEpisode } from './run.js';
import { createSimulation, type SimConfigInput } from './setup.js';
import { Simulation } from './simulation.js';
import { IMMEDIATE, onlineReference, PLANNING, staticSchedule } from './textbook.test-support.js';
import { checkTrace } from './trace.js';

/** Fuzz settings: SCALE_DEEP=1 (`pnpm test:deep`) raises the number of generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 10 : ci);

/** The heuristics of issue 14's suite (the paper's five are tested in policies.test.ts). */
const SUITE = [...PLANNING, ...IMMEDIATE] as const;

const runArb = fc.record({
  seed: fc.integer({ min: 0, max: 100_000 }),
  nodes: fc.integer({ min: 1, max: 40 }),
  communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
  withFailures: fc.boolean(),
  lambda16: fc.constantFrom(0.5, 1.25, 2),
});
type Run = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

/** A short drained episode; the drain limit is far, so that even heuristics that overload the fastest tier finish. */
const runConfig = (r: Run): SimConfigInput => ({
  seed: r.seed,
  nodes: r.nodes,
  horizon: Math.max(2, 40 / r.nodes),
  drain: true,
  drainLimit: 100_000,
  communication: r.communication,
  lambda16: r.lambda16,
  ...(r.withFailures ? { failures: { mtbf: 15, mttr: 2 } } : {}),
});

const decide = (policy: Policy, sim: Simulation) => {
  if (policy.decide === undefined) throw new Error(`${policy.name} has no decide()`);
  return policy.decide(sim);
};

describe('the heuristic suite', { timeout: deep ? 3_600_000 : 120_000 }, () => {
  it('makePolicy builds every name of POLICY_NAMES, each with its own name', () => {
    for (const name of POLICY_NAMES) expect(makePolicy(name).name).toBe(name);
    for (const name of SUITE) expect(POLICY_NAMES).toContain(name);
  });

  for (const name of SUITE) {
    it(`${name} decides exactly what its plain online definition decides, at every decision`, () => {
      fc.assert(
        fc.property(runArb, (r) => {
          const sim = createSimulation(runConfig(r));
          const policy = makePolicy(name);
          const reference = onlineReference(name);
          while (sim.next()) {
            const got = decide(policy, sim);
            const want = reference(sim);
            const same = got.server === want.server && (got.server === DEFER || got.task === want.task);
            if (!same) throw new Error(`${name} decided (${got.task}, ${got.server}), the definition (${want.task}, ${want.server}) at t=${sim.now}`);
            if (got.server === DEFER) sim.deferToNextEvent();
            else sim.assignTask(got.task, got.server);
          }
          expect(sim.outcome).toBe('terminated');
        }),
        { numRuns: runs(6) },
      );
    });
  }

  // Bags of independent tasks released at t = 0 under reward-only communication, where the online
  // heuristics meet the textbook's static algorithms. Computes are multiples of 1/4 and speeds powers of
  // two, so times are exact and ties are real ties (decided by the documented tie rules).
  const bagArb = (memoryFitsEverywhere: boolean) =>
    fc.record({
      servers: fc.array(fc.record({ compute: fc.constantFrom(1, 2, 4, 8), memory: fc.constantFrom(8, 32, 80) }), { minLength: 1, maxLength: 6 }),
      tasks: fc.array(
        fc.record({
          compute: fc.integer({ min: 1, max: 40 }).map((q) => q / 4),
          memory: memoryFitsEverywhere ? fc.constant(1) : fc.constantFrom(1, 8, 16, 32, 64),
        }),
        { minLength: 1, maxLength: 25 },
      ),
    });
  type Bag = typeof bagArb extends (b: boolean) => fc.Arbitrary<infer T> ? T : never;

  const runBag = (name: string, bag: Bag) => {
    const largest = Math.max(...bag.servers.map((s) => s.memory));
    const tasks = bag.tasks.map((t) => ({ ...t, memory: Math.min(t.memory, largest) }));
    const sim = new Simulation({
      servers: bag.servers.map((s, id) => ({ id, tier: 'custom', compute: s.compute, memory: s.memory, idlePower: 0, busyPower: 0 })),
      workflows: tasks.map((t, id) => ({ id, arrival: 0, tasks: [{ id: 0, compute: t.compute, memory: t.memory, output: 0, parents: [] }] })),
      horizon: 1,
      drain: true,
      drainLimit: 1_000_000,
    });
    runEpisode(sim, makePolicy(name));
    expect(sim.outcome).toBe('terminated');
    return { attempts: sim.trace().attempts, expected: staticSchedule(name, bag.servers, tasks) };
  };

  // MaxMin and Sufferage plan again at every event and may then revise their static plan (a task whose
  // best server was taken by a start sees its key change), so for them the static algorithm fixes the
  // first mapping event only; the plain online reference above checks every later one.
  const wholeSchedule = SUITE.filter((name) => name !== 'max-min' && name !== 'sufferage');
  for (const name of wholeSchedule) {
    it(`${name} makes the textbook's static schedule on a bag of tasks released at t = 0`, () => {
      fc.assert(
        fc.property(bagArb(IMMEDIATE.has(name)), (bag) => {
          const { attempts, expected } = runBag(name, bag);
          expect(attempts).toHaveLength(expected.length);
          for (const a of attempts) expect({ task: a.workflow, server: a.server, start: a.start }).toEqual({ task: a.workflow, ...expected[a.workflow] });
        }),
        { numRuns: runs(40) },
      );
    });
  }
  for (const name of ['max-min', 'sufferage']) {
    it(`${name} starts at t = 0 exactly the tasks the textbook's static schedule starts at 0, on the same servers`, () => {
      fc.assert(
        fc.property(bagArb(false), (bag) => {
          const { attempts, expected } = runBag(name, bag);
          const atZero = (list: { task: number; server: number; start: number }[]) => list.filter((a) => a.start === 0).sort((x, y) => x.task - y.task);
          expect(atZero(attempts.map((a) => ({ task: a.workflow, server: a.server, start: a.start })))).toEqual(
            atZero(expected.map((e, task) => ({ task, server: e.server, start: e.start }))),
          );
        }),
        { numRuns: runs(40) },
      );
    });
  }

  it('fifo makes the same schedule as eft with the fifo task selector', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const run = (name: string, taskSelector: 'fifo' | 'longest-path') => {
          const sim = createSimulation({ ...runConfig(r), taskSelector });
          runEpisode(sim, makePolicy(name));
          return JSON.stringify(sim.trace().attempts);
        };
        expect(run('fifo', 'longest-path')).toBe(run('eft', 'fifo'));
      }),
      { numRuns: runs(6) },
    );
  });

  it('every heuristic drains elastic episodes (failures and joins): every task completes once, none is lost, the trace checks', () => {
    fc.assert(
      fc.property(runArb, fc.constantFrom(...POLICY_NAMES), (r, name) => {
        const sim = createSimulation({ ...runConfig(r), failures: { mtbf: 8, mttr: 3 } });
        runEpisode(sim, makePolicy(name, { seed: r.seed }));
        expect(sim.outcome).toBe('terminated');
        const m = sim.metrics();
        expect(m.completedTasks).toBe(m.arrivedTasks);
        expect(sim.doneTasks).toBe(sim.taskCount);
        expect(checkTrace(sim.trace())).toEqual([]);
      }),
      { numRuns: runs(12) },
    );
  });

  it('runs at N = 1,024: every heuristic drains a short episode of the paper workload', () => {
    for (const name of POLICY_NAMES) {
      const sim = createSimulation({ nodes: 1024, seed: 3, horizon: 1, drain: true, drainLimit: 100_000, communication: 'delays-start' });
      runEpisode(sim, makePolicy(name, { seed: 3 }));
      expect(sim.outcome, name).toBe('terminated');
      expect(sim.doneTasks, name).toBe(sim.taskCount);
    }
  });

  it('MET waits for the fastest server; OLB takes the first idle one; HEFT defers only when the busy server finishes first', () => {
    // Server 0: C = 1; server 1: C = 4. Workflow 0 (t = 0): one task of 4 GFLOP. Workflow 1 (t = 0.1): one task of 2 GFLOP.
    const servers = [
      { id: 0, tier: 'slow', compute: 1, memory: 80, idlePower: 0, busyPower: 0 },
      { id: 1, tier: 'fast', compute: 4, memory: 80, idlePower: 0, busyPower: 0 },
    ];
    const task = (compute: number) => [{ id: 0, compute, memory: 1, output: 0, parents: [] }];
    const workflows = [
      { id: 0, arrival: 0, tasks: task(4) },
      { id: 1, arrival: 0.1, tasks: task(2) },
    ];
    const starts = (name: string) => {
      const sim = new Simulation({ servers, workflows, horizon: 1, drain: true });
      runEpisode(sim, makePolicy(name));
      return sim.trace().attempts.map((a) => [a.workflow, a.server, a.start]);
    };
    // The fast server frees at 1; at 0.1 the 2-GFLOP task finishes at 2.1 on the slow one, at 1.5 on the fast one.
    expect(starts('met')).toEqual([
      [0, 1, 0],
      [1, 1, 1],
    ]);
    expect(starts('heft')).toEqual([
      [0, 1, 0],
      [1, 1, 1],
    ]);
    expect(starts('eft')).toEqual([
      [0, 1, 0],
      [1, 0, 0.1],
    ]);
    expect(starts('olb')).toEqual([
      [0, 0, 0],
      [1, 1, 0.1],
    ]);
  });
});
