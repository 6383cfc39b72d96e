import { ConfigError } from '@scale/workload';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulationStateError } from './errors.js';
import { makePolicy, type PolicyName } from './policies.js';
import type { RolloutPolicy } from './rollout.js';
import { runEpisode } from './run.js';
import { createSimulation, type SimConfigInput } from './setup.js';
import { checkTrace } from './trace.js';
import type { SimulationView } from './view.js';

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const runs = (ci: number): number => (process.env.SCALE_DEEP === '1' ? ci * 35 : ci);

/** The summed response time of a drained episode (every policy completes the same tasks), and the policy. */
function totalResponse(config: SimConfigInput, policy: string): { total: number; policy: ReturnType<typeof makePolicy> } {
  const p = makePolicy(policy, { seed: config.seed ?? 0 });
  const sim = runEpisode(createSimulation(config), p);
  expect(sim.outcome).toBe('terminated');
  return { total: sim.responseTimeArea, policy: p };
}

describe('rollout policies', () => {
  it('are never worse than a sequentially consistent base on drained episodes (the rollout improvement property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom<PolicyName>('sjf', 'eft', 'fifo', 'fastest'),
        fc.constantFrom<Partial<SimConfigInput>>({}, { communication: 'delays-start' }, { lambda16: 2.5 }),
        (seed, base, extra) => {
          const config: SimConfigInput = { nodes: 4, seed, horizon: 6, drain: true, ...extra };
          const { total: baseTotal } = totalResponse(config, base);
          const { total, policy } = totalResponse(config, `rollout-${base}`);
          expect(total).toBeLessThanOrEqual(baseTotal * (1 + 1e-12));
          const rollout = policy as RolloutPolicy;
          expect(rollout.departures).toBeLessThanOrEqual(rollout.lookaheads);
        },
      ),
      { numRuns: runs(12) },
    );
  });

  it('over several bases, are never worse than the best of them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom<Partial<SimConfigInput>>({}, { lambda16: 2.5 }), (seed, extra) => {
        const config: SimConfigInput = { nodes: 4, seed, horizon: 6, drain: true, ...extra };
        const best = Math.min(totalResponse(config, 'sjf').total, totalResponse(config, 'fifo').total);
        expect(totalResponse(config, 'rollout-sjf+fifo').total).toBeLessThanOrEqual(best * (1 + 1e-12));
      }),
      { numRuns: runs(8) },
    );
  });

  it('finds a better schedule than sjf where one exists, and its schedule checks out', () => {
    const config: SimConfigInput = { nodes: 16, seed: 1000, horizon: 20, drain: true, lambda16: 1.875 };
    const sjf = totalResponse(config, 'sjf').total;
    const p = makePolicy('rollout-sjf') as RolloutPolicy;
    const sim = runEpisode(createSimulation(config), p);
    expect(sim.responseTimeArea).toBeLessThan(sjf);
    expect(p.departures).toBeGreaterThan(0);
    expect(checkTrace(sim.trace({ seed: 1000, policy: p.name }))).toEqual([]);
    const again = runEpisode(createSimulation(config), makePolicy('rollout-sjf'));
    expect(JSON.stringify(again.trace({ seed: 1000 }))).toBe(JSON.stringify(sim.trace({ seed: 1000 })));
  });

  it('refuses a view it cannot fork, and names that are not rollouts of a heuristic', () => {
    // Any SimulationView that is not a Simulation (a recorded state, a wrapper): nothing to fork.
    const view = { task: 0, now: 0 } as unknown as SimulationView;
    expect(() => makePolicy('rollout-sjf').decide?.(view)).toThrow(SimulationStateError);
    expect(() => makePolicy('rollout-nope')).toThrow(ConfigError);
    expect(() => makePolicy('rollout-sjf+')).toThrow(ConfigError);
    expect(() => makePolicy('rollout-rollout-sjf')).toThrow(/rollout-<one or more of those joined by \+>/);
  });
});
