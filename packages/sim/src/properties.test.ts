import fc from 'fast-check';
import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';

type ArbitraryValue<A> = A extends fc.Arbitrary<infer T> ? T : never;
import { makePolicy, POLICY_NAMES } from './policies.js';
import { createSimulation, type SimConfigInput } from './setup.js';
import type { Simulation } from './simulation.js';
import { TaskStatus } from './view.js';
import { checkTrace } from './trace.js';

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 35 : ci);

/** Random run configurations: seeds, cluster sizes 1..256, both modes, selectors, failures. */
const configArb = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  nodes: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 25, max: 256 })),
  policy: fc.constantFrom(...POLICY_NAMES),
  communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
  taskSelector: fc.constantFrom('longest-path' as const, 'fifo' as const),
  drain: fc.boolean(),
  lambda16: fc.double({ min: 0.5, max: 3, noNaN: true }),
  failures: fc.option(fc.record({ mtbf: fc.double({ min: 5, max: 60, noNaN: true }), mttr: fc.double({ min: 0.5, max: 5, noNaN: true }) }), { nil: undefined }),
});
type RunConfig = ArbitraryValue<typeof configArb>;

/** Horizon shrinks with N so every run stays small (a few hundred tasks). */
function simConfig(c: RunConfig): SimConfigInput {
  return {
    seed: c.seed,
    nodes: c.nodes,
    horizon: Math.max(2, Math.min(20, 320 / c.nodes)),
    drain: c.drain,
    communication: c.communication,
    taskSelector: c.taskSelector,
    lambda16: c.lambda16,
    ...(c.failures ? { failures: c.failures } : {}),
  };
}

/** Plain assertion: the invariant checks run at every decision, so they avoid `expect`'s overhead. */
function assert(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** Checks the simulator's state invariants; called at every decision point. */
function checkState(sim: Simulation): void {
  const counts = [0, 0, 0, 0, 0];
  for (let t = 0; t < sim.taskCount; t++) counts[sim.taskStatus(t)]! += 1;
  // Every arrived task is waiting, ready, running or done, exactly once.
  const at = (): string => `at t=${sim.now}`;
  assert(counts[TaskStatus.Waiting] === sim.waitingTasks, () => `waiting count ${at()}`);
  assert(counts[TaskStatus.Ready] === sim.readyTasks, () => `ready count ${at()}`);
  assert(counts[TaskStatus.Running] === sim.runningTasks, () => `running count ${at()}`);
  assert(counts[TaskStatus.Done] === sim.doneTasks, () => `done count ${at()}`);
  assert(sim.waitingTasks + sim.readyTasks + sim.runningTasks + sim.doneTasks === sim.arrivedTasks, () => `conservation ${at()}`);
  // One task per server, and only on servers that are up, with memory that fits.
  let running = 0;
  for (let j = 0; j < sim.serverCount; j++) {
    const task = sim.serverTask(j);
    if (task < 0) continue;
    running++;
    assert(sim.isUp(j), () => `server ${j} runs a task while down ${at()}`);
    assert(sim.taskServer(task) === j, () => `task ${task} is not on server ${j} ${at()}`);
    assert(sim.taskStatus(task) === TaskStatus.Running, () => `task ${task} on server ${j} is not running ${at()}`);
    assert(sim.taskMemory(task) <= sim.serverMemory(j), () => `memory on server ${j} ${at()}`);
  }
  assert(running === sim.runningTasks, () => `${running} busy servers for ${sim.runningTasks} running tasks ${at()}`);
  // The pending task is ready and some valid server exists for it.
  if (sim.task >= 0) {
    assert(sim.taskStatus(sim.task) === TaskStatus.Ready, () => `pending task not ready ${at()}`);
    let anyValid = false;
    for (let j = 0; j < sim.serverCount && !anyValid; j++) anyValid = sim.isValid(j);
    assert(anyValid, () => `pending task ${sim.task} has no valid server ${at()}`);
  }
}

/**
 * Drives a run with a heuristic, or with a "random agent" that sometimes names an invalid server
 * (penalize mode), checking invariants and that time never goes back.
 */
function drive(sim: Simulation, policyName: string, seed: number, invalidRate = 0): void {
  const policy = makePolicy(policyName, { seed });
  const rng = new Rng(seed).child('test-agent');
  let last = sim.now;
  while (sim.next()) {
    checkState(sim);
    assert(sim.now >= last, () => `time went back from ${last} to ${sim.now}`);
    last = sim.now;
    if (invalidRate > 0 && rng.next() < invalidRate) sim.act(rng.int(0, sim.serverCount - 1));
    else sim.assign(policy.choose(sim));
  }
  expect(sim.now).toBeGreaterThanOrEqual(last);
  checkState(sim);
}

describe('simulator properties', { timeout: 120_000 }, () => {
  it('keeps every invariant and writes a trace that passes the independent checker', () => {
    fc.assert(
      fc.property(configArb, fc.double({ min: 0, max: 0.3, noNaN: true }), (c, invalidRate) => {
        const sim = createSimulation(simConfig(c));
        drive(sim, c.policy, c.seed, invalidRate);
        expect(checkTrace(sim.trace())).toEqual([]);
        if (c.drain && c.failures === undefined && invalidRate === 0) {
          // With drain every task completes.
          expect(sim.outcome).toBe('terminated');
          expect(sim.doneTasks).toBe(sim.taskCount);
        }
        if (c.drain && sim.outcome === 'terminated') expect(sim.doneTasks).toBe(sim.taskCount);
        if (!c.drain) expect(sim.now).toBe(sim.options.horizon);
      }),
      { numRuns: runs(60) },
    );
  });

  it('loses no task to failures: a drained run with failures completes every task exactly once', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const sim = createSimulation({ ...simConfig(c), drain: true, failures: c.failures ?? { mtbf: 10, mttr: 1 } });
        drive(sim, c.policy, c.seed);
        const trace = sim.trace();
        expect(checkTrace(trace)).toEqual([]);
        if (sim.outcome === 'terminated') {
          const completed = trace.attempts.filter((a) => !a.interrupted && a.end !== null).map((a) => `${a.workflow}/${a.task}`);
          expect(new Set(completed).size).toBe(completed.length);
          expect(completed.length).toBe(sim.taskCount);
        }
      }),
      { numRuns: runs(30) },
    );
  });

  it('gives a byte-identical trace for the same seed', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const once = (): string => {
          const sim = createSimulation(simConfig(c));
          drive(sim, c.policy, c.seed);
          return JSON.stringify(sim.trace({ seed: c.seed }));
        };
        expect(once()).toBe(once());
      }),
      { numRuns: runs(20) },
    );
  });

  it('never preempts: every completed attempt lasts exactly compute / C_j', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const sim = createSimulation(simConfig(c));
        drive(sim, c.policy, c.seed);
        const trace = sim.trace();
        for (const a of trace.attempts) {
          if (a.interrupted || a.end === null) continue;
          const task = trace.workflows.find((w) => w.id === a.workflow)!.tasks.find((t) => t.id === a.task)!;
          expect(a.end - a.start).toBeCloseTo(task.compute / trace.servers[a.server]!.compute, 9);
        }
      }),
      { numRuns: runs(20) },
    );
  });
});
