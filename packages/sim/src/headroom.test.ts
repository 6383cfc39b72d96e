import fc from 'fast-check';
import { ConfigError, type Workflow } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import { responseTimeBound } from './headroom.js';
import { bestHeuristicInHindsight } from './hindsight.js';
import { makePolicy, POLICY_NAMES } from './policies.js';
import { runEpisode } from './run.js';
import { createSimulation } from './setup.js';
import { Simulation } from './simulation.js';
import { checkTrace } from './trace.js';

/** Fuzz settings: SCALE_DEEP=1 (`pnpm test:deep`) raises the number of generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 10 : ci);

const server = (id: number, compute: number, memory = 80) => ({ id, tier: 'custom', compute, memory, idlePower: 0, busyPower: 0 });
const single = (id: number, arrival: number, compute: number, memory = 1): Workflow => ({
  id,
  arrival,
  tasks: [{ id: 0, compute, memory, output: 0, parents: [] }],
});

describe('responseTimeBound', { timeout: deep ? 3_600_000 : 120_000 }, () => {
  it('is the critical path of a lone chain, which one server achieves exactly', () => {
    // Chain 0 -> 1 -> 2 of 2, 4, 6 GFLOP on a server of speed 2: completions 1, 3, 6 after the arrival at 1.
    const chain: Workflow = {
      id: 0,
      arrival: 1,
      tasks: [
        { id: 0, compute: 2, memory: 1, output: 0, parents: [] },
        { id: 1, compute: 4, memory: 1, output: 0, parents: [0] },
        { id: 2, compute: 6, memory: 1, output: 0, parents: [1] },
      ],
    };
    const bound = responseTimeBound([server(0, 2)], [chain]);
    expect(bound.criticalPathBound).toBeCloseTo((1 + 3 + 6) / 3, 12);
    expect(bound.lowerBound).toBeCloseTo((1 + 3 + 6) / 3, 12);
    const sim = new Simulation({ servers: [server(0, 2)], workflows: [chain], horizon: 2, drain: true });
    runEpisode(sim, makePolicy('eft'));
    expect(sim.metrics().meanResponseTime).toBeCloseTo(bound.lowerBound as number, 12);
  });

  it('is the capacity bound of a bag on one server, which shortest-job-first achieves exactly', () => {
    // Tasks of 3, 1, 2 GFLOP at t = 0 on a server of speed 1: SJF completes them at 1, 3, 6.
    const bag = [single(0, 0, 3), single(1, 0, 1), single(2, 0, 2)];
    const bound = responseTimeBound([server(0, 1)], bag);
    expect(bound.criticalPathBound).toBeCloseTo(2, 12);
    expect(bound.capacityBound).toBeCloseTo(10 / 3, 12);
    expect(bound.lowerBound).toBeCloseTo(10 / 3, 12);
    const sim = new Simulation({ servers: [server(0, 1)], workflows: bag, horizon: 1, drain: true });
    runEpisode(sim, makePolicy('sjf'));
    expect(sim.metrics().meanResponseTime).toBeCloseTo(10 / 3, 12);
  });

  it('takes each task on the fastest server that can hold it, and releases it at its earliest start', () => {
    // A 4-GFLOP task needing 50 GB fits only the slow server (speed 1, 64 GB); the fast one (speed 4) has 8 GB.
    const servers = [server(0, 1, 64), server(1, 4, 8)];
    expect(responseTimeBound(servers, [single(0, 2, 4, 50)]).criticalPathBound).toBeCloseTo(4, 12);
    expect(responseTimeBound(servers, [single(0, 2, 4, 5)]).criticalPathBound).toBeCloseTo(1, 12);
    // Fluid machine of speed 5: two 5-GFLOP tasks released at 0 finish at 1 and 2 (capacity bound 1.5),
    // each alone on the fast server needs 1.25 s (critical path bound 1.25); combined, task by task: 1.25 and 2.
    const two = responseTimeBound(servers, [single(0, 0, 5, 5), single(1, 0, 5, 5)]);
    expect(two.capacityBound).toBeCloseTo(1.5, 12);
    expect(two.criticalPathBound).toBeCloseTo(1.25, 12);
    expect(two.lowerBound).toBeCloseTo(1.625, 12);
  });

  it('is null with no task, and names the task no server can hold', () => {
    expect(responseTimeBound([server(0, 1)], [])).toEqual({ lowerBound: null, criticalPathBound: null, capacityBound: null, tasks: 0 });
    expect(() => responseTimeBound([server(0, 1, 8)], [single(0, 0, 1, 9)])).toThrow(ConfigError);
    expect(() => responseTimeBound([server(0, 1, 8)], [single(0, 0, 1, 9)])).toThrow(/workflows\[0\]\.tasks\[0\]\.memory/);
  });

  it("is at most every heuristic's mean response time on random drained episodes (failures, transfers, any N)", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 100_000 }),
          nodes: fc.integer({ min: 1, max: 40 }),
          communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
          withFailures: fc.boolean(),
          lambda16: fc.constantFrom(0.5, 1.25, 2),
        }),
        fc.constantFrom(...POLICY_NAMES),
        (r, name) => {
          const sim = createSimulation({
            seed: r.seed,
            nodes: r.nodes,
            horizon: Math.max(2, 40 / r.nodes),
            drain: true,
            drainLimit: 100_000,
            communication: r.communication,
            lambda16: r.lambda16,
            ...(r.withFailures ? { failures: { mtbf: 10, mttr: 2 } } : {}),
          });
          runEpisode(sim, makePolicy(name, { seed: r.seed }));
          const m = sim.metrics();
          const bound = responseTimeBound(sim.servers, sim.workflows);
          expect(m.meanResponseTimeBound).toBe(bound.lowerBound);
          if (bound.lowerBound === null) return;
          expect(bound.lowerBound).toBeGreaterThanOrEqual(Math.max(bound.criticalPathBound as number, bound.capacityBound as number) - 1e-12);
          expect(m.meanResponseTime as number).toBeGreaterThanOrEqual((bound.lowerBound as number) * (1 - 1e-12));
        },
      ),
      { numRuns: runs(32) },
    );
  });

  it('is in the metrics and the trace, and the trace checker recomputes it', () => {
    const sim = createSimulation({ nodes: 8, seed: 4, horizon: 10, drain: true });
    runEpisode(sim, makePolicy('heft'));
    const trace = sim.trace();
    expect(trace.metrics.meanResponseTimeBound).toBeGreaterThan(0);
    expect(checkTrace(trace)).toEqual([]);
    const tampered = { ...trace, metrics: { ...trace.metrics, meanResponseTimeBound: (trace.metrics.meanResponseTimeBound as number) * 0.9 } };
    expect(checkTrace(tampered).map((v) => v.rule)).toEqual(['metrics']);
    // A trace written before the bound existed still checks.
    const { meanResponseTimeBound: _, ...older } = trace.metrics;
    expect(checkTrace({ ...trace, metrics: older as typeof trace.metrics })).toEqual([]);
  });
  it('is read lazily: metrics taken mid-run keep the bound of the workflows arrived at that time', () => {
    const sim = createSimulation({ nodes: 4, seed: 9, horizon: 20, lambda16: 2 });
    const policy = makePolicy('eft');
    for (let decisions = 0; decisions < 20 && sim.next(); decisions++) sim.assign(policy.choose(sim));
    const early = sim.metrics();
    const arrived = early.arrivedWorkflows;
    expect(Object.getOwnPropertyDescriptor(early, 'meanResponseTimeBound')?.get).toBeTypeOf('function');
    runEpisode(sim, policy); // more workflows arrive before the early bound is first read
    expect(sim.metrics().arrivedWorkflows).toBeGreaterThan(arrived);
    expect(early.meanResponseTimeBound).toBe(responseTimeBound(sim.servers, sim.workflows.slice(0, arrived)).lowerBound);
    // Spreads and JSON see the value.
    expect({ ...early }.meanResponseTimeBound).toBe(early.meanResponseTimeBound);
    expect(JSON.parse(JSON.stringify(early)).meanResponseTimeBound).toBe(early.meanResponseTimeBound);
  });
});

describe('bestHeuristicInHindsight', { timeout: deep ? 3_600_000 : 120_000 }, () => {
  it('runs each heuristic on the same episode and reports the best, never below the bound', () => {
    const config = { nodes: 6, seed: 2, horizon: 8, drain: true };
    const hindsight = bestHeuristicInHindsight(config);
    expect(hindsight.results.map((r) => r.policy)).toEqual([...POLICY_NAMES]);
    for (const r of hindsight.results) {
      const sim = createSimulation(config);
      runEpisode(sim, makePolicy(r.policy, { seed: config.seed }));
      expect(r.meanResponseTime).toBe(sim.metrics().meanResponseTime);
      expect(r.outcome).toBe('terminated');
      expect(hindsight.best.meanResponseTime as number).toBeLessThanOrEqual(r.meanResponseTime as number);
    }
    expect(hindsight.best.meanResponseTime as number).toBeGreaterThanOrEqual(hindsight.bound as number);
    expect(bestHeuristicInHindsight(config, ['eft', 'sjf']).results.map((r) => r.policy)).toEqual(['eft', 'sjf']);
  });

  it('compares drained runs only', () => {
    expect(() => bestHeuristicInHindsight({ nodes: 4, seed: 1, horizon: 5 })).toThrow(/drain/);
  });
});
