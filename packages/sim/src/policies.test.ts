import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type ArbitraryValue<A> = A extends fc.Arbitrary<infer T> ? T : never;
import { makePolicy } from './policies.js';
import { createSimulation } from './setup.js';
import type { Simulation } from './simulation.js';

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const deep = process.env.SCALE_DEEP === '1';
const runs = (ci: number): number => (deep ? ci * 35 : ci);

/** Every valid server for the pending task, by brute force over all N. */
function validServers(sim: Simulation): number[] {
  const out: number[] = [];
  for (let j = 0; j < sim.serverCount; j++) if (sim.isValid(j)) out.push(j);
  return out;
}

/** The O(N) textbook definitions the fast policies must agree with at every decision. */
const reference: Record<string, (sim: Simulation, valid: number[]) => number> = {
  fastest: (sim, valid) => valid.reduce((best, j) => (sim.serverCompute(j) > sim.serverCompute(best) ? j : best)),
  eft: (sim, valid) => {
    const finish = (j: number): number => {
      const start = sim.options.communication === 'delays-start' ? Math.max(sim.now, sim.dataReadyTime(sim.task, j)) : sim.now;
      return start + sim.taskCompute(sim.task) / sim.serverCompute(j);
    };
    return valid.reduce((best, j) => (finish(j) < finish(best) ? j : best));
  },
  'best-fit': (sim, valid) =>
    valid.reduce((best, j) => {
      const m = sim.serverMemory(j);
      const bm = sim.serverMemory(best);
      if (m !== bm) return m < bm ? j : best;
      return sim.serverCompute(j) > sim.serverCompute(best) ? j : best;
    }),
};

const runArb = fc.record({
  seed: fc.integer({ min: 0, max: 100_000 }),
  nodes: fc.integer({ min: 1, max: 80 }),
  communication: fc.constantFrom('reward-only' as const, 'delays-start' as const),
  withFailures: fc.boolean(),
});

const makeSim = (r: ArbitraryValue<typeof runArb>): Simulation =>
  createSimulation({
    seed: r.seed,
    nodes: r.nodes,
    horizon: Math.max(3, 200 / r.nodes),
    drain: true,
    communication: r.communication,
    lambda16: 2,
    ...(r.withFailures ? { failures: { mtbf: 15, mttr: 2 } } : {}),
  });

describe('heuristic policies', { timeout: 60_000 }, () => {
  for (const name of ['fastest', 'eft', 'best-fit'] as const) {
    it(`${name} picks exactly what its O(N) definition picks (ties to the lowest id)`, () => {
      fc.assert(
        fc.property(runArb, (r) => {
          const sim = makeSim(r);
          const policy = makePolicy(name);
          while (sim.next()) {
            const choice = policy.choose(sim);
            const expected = (reference[name] as (s: Simulation, v: number[]) => number)(sim, validServers(sim));
            if (choice !== expected) throw new Error(`${name} chose ${choice}, the definition gives ${expected} at t=${sim.now}`);
            sim.assign(choice);
          }
        }),
        { numRuns: runs(25) },
      );
    });
  }

  it('eft equals fastest under reward-only communication', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const run = (name: string): string => {
          const sim = makeSim({ ...r, communication: 'reward-only' });
          const policy = makePolicy(name);
          while (sim.next()) sim.assign(policy.choose(sim));
          return JSON.stringify(sim.trace().attempts);
        };
        expect(run('eft')).toBe(run('fastest'));
      }),
      { numRuns: runs(15) },
    );
  });

  it('round-robin cycles through server ids, skipping invalid ones', () => {
    fc.assert(
      fc.property(runArb, (r) => {
        const sim = makeSim(r);
        const policy = makePolicy('round-robin');
        let cursor = 0;
        while (sim.next()) {
          const valid = validServers(sim);
          const expected = valid.find((j) => j >= cursor) ?? (valid[0] as number);
          const choice = policy.choose(sim);
          if (choice !== expected) throw new Error(`round-robin chose ${choice}, expected ${expected}`);
          cursor = (choice + 1) % sim.serverCount;
          sim.assign(choice);
        }
      }),
      { numRuns: runs(20) },
    );
  });

  it('random picks only valid servers, covers them all, and is reproducible from its seed', () => {
    const sim = createSimulation({ seed: 3, nodes: 16, horizon: 30, drain: true });
    const policy = makePolicy('random', { seed: 11 });
    const picks = new Set<number>();
    const sequence: number[] = [];
    while (sim.next()) {
      const choice = policy.choose(sim);
      expect(sim.isValid(choice)).toBe(true);
      picks.add(choice);
      sequence.push(choice);
      sim.assign(choice);
    }
    expect(picks.size).toBe(16);
    const again = createSimulation({ seed: 3, nodes: 16, horizon: 30, drain: true });
    const policyAgain = makePolicy('random', { seed: 11 });
    const sequenceAgain: number[] = [];
    while (again.next()) {
      const choice = policyAgain.choose(again);
      sequenceAgain.push(choice);
      again.assign(choice);
    }
    expect(sequenceAgain).toEqual(sequence);
  });

  it('random is uniform over valid servers', () => {
    // One decision repeated: every valid server should get about the same share of the picks.
    const sim = createSimulation({ seed: 1, nodes: 16, horizon: 10 });
    sim.next();
    const valid = validServers(sim);
    expect(valid.length).toBeGreaterThan(8);
    const policy = makePolicy('random', { seed: 5 });
    const counts = new Map<number, number>(valid.map((j) => [j, 0]));
    const draws = 2000 * valid.length;
    for (let i = 0; i < draws; i++) {
      const j = policy.choose(sim);
      expect(counts.has(j)).toBe(true);
      counts.set(j, (counts.get(j) as number) + 1);
    }
    // Chi-square against uniform; 2.5 x the degrees of freedom is far beyond the 0.999 quantile for df <= 15.
    const expected = draws / valid.length;
    const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(2.5 * (valid.length - 1) + 10);
  });

  it('rejects an unknown policy name with the allowed values', () => {
    expect(() => makePolicy('greedy')).toThrow(/policy: expected one of random, round-robin, fastest, eft, best-fit/);
  });
});
