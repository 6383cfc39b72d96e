import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from './decision.js';
import { makePolicy, type PolicyName } from './policies.js';
import { applyDecision } from './run.js';
import { createSimulation, type SimConfigInput } from './setup.js';
import type { Simulation } from './simulation.js';

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const runs = (ci: number): number => (process.env.SCALE_DEEP === '1' ? ci * 35 : ci);

/** Runs `policy` (a fresh instance per simulation) to the end; every `deferEvery`-th decision defers instead when it can. */
function finish(sim: Simulation, policy: PolicyName, deferEvery = 0): Simulation {
  const p = makePolicy(policy, { seed: 1 });
  let k = 0;
  while (sim.next()) {
    k++;
    if (deferEvery > 0 && k % deferEvery === 0 && sim.canDefer()) sim.deferToNextEvent();
    else if (p.decide !== undefined) applyDecision(sim, p.decide(sim));
    else sim.assign(p.choose(sim));
  }
  return sim;
}

/** Everything a run produces that a fork must reproduce: the schedule trace, the metrics, the counters. */
function fingerprint(sim: Simulation): string {
  const { decisions, invalidActions, deferrals, interruptedAttempts, now, outcome } = sim;
  return JSON.stringify({ trace: sim.trace({ seed: 0 }), metrics: sim.metrics(), decisions, invalidActions, deferrals, interruptedAttempts, now, outcome });
}

const configs: readonly SimConfigInput[] = [
  { nodes: 6, seed: 3, horizon: 8, drain: true },
  { nodes: 5, seed: 4, horizon: 8, drain: true, communication: 'delays-start' },
  { nodes: 6, seed: 5, horizon: 8, drain: true, failures: { mtbf: 4, mttr: 1 } },
  { nodes: 4, seed: 6, horizon: 6, drain: false, load: 1.5 },
];

describe('Simulation.fork', () => {
  it('gives the same schedule as the original under the same decisions, from any decision point', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...configs),
        fc.nat(60),
        fc.constantFrom<PolicyName>('sjf', 'eft', 'heft', 'fifo'),
        fc.nat(4),
        (config, at, policy, deferEvery) => {
          const sim = createSimulation(config);
          const p = makePolicy('srpt-workflow');
          for (let i = 0; i < at && sim.next(); i++) applyDecision(sim, (p.decide as (v: Simulation) => Decision)(sim));
          const copy = sim.fork();
          expect(copy.task).toBe(sim.task);
          expect(copy.now).toBe(sim.now);
          expect(fingerprint(finish(copy, policy, deferEvery))).toBe(fingerprint(finish(sim, policy, deferEvery)));
        },
      ),
      { numRuns: runs(40) },
    );
  });

  it('is independent: running the copy changes nothing in the original, and the reverse', () => {
    for (const config of configs) {
      const untouched = fingerprint(finish(createSimulation(config), 'sjf'));
      const sim = createSimulation(config);
      const p = makePolicy('sjf');
      for (let i = 0; i < 25 && sim.next(); i++) applyDecision(sim, (p.decide as (v: Simulation) => Decision)(sim));
      const before = fingerprint(sim);
      const copy = sim.fork();
      finish(copy, 'random', 3);
      // The original mid-run, untouched by the copy's run (its trace holds attempts still running)...
      expect(fingerprint(sim)).toBe(before);
      // ...and finished, as if never forked.
      expect(fingerprint(finish(sim, 'sjf'))).toBe(untouched);
      const again = createSimulation(config);
      for (let i = 0; i < 25 && again.next(); i++) applyDecision(again, (p.decide as (v: Simulation) => Decision)(again));
      const second = again.fork();
      const unrun = fingerprint(second);
      finish(again, 'random', 3);
      expect(fingerprint(second)).toBe(unrun);
      const reference = createSimulation(config);
      for (let i = 0; i < 25 && reference.next(); i++) applyDecision(reference, (p.decide as (v: Simulation) => Decision)(reference));
      expect(fingerprint(finish(second, 'sjf'))).toBe(fingerprint(finish(reference, 'sjf')));
    }
  });

  it('forks a finished run as finished, with its metrics', () => {
    const sim = finish(createSimulation(configs[0] as SimConfigInput), 'eft');
    const copy = sim.fork();
    expect(copy.next()).toBe(false);
    expect(fingerprint(copy)).toBe(fingerprint(sim));
  });
});
