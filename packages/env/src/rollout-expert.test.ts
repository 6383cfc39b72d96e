import { createSimulation, makePolicy, runEpisode } from '@scale/sim';
import { ConfigError } from '@scale/workload';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EnvConfigInput, makeEnv } from './index.js';
import { RolloutExpert } from './rollout-expert.js';

/** CI runs these counts; `pnpm test:deep` (SCALE_DEEP=1) runs 35 times as many generated cases. */
const runs = (ci: number): number => (process.env.SCALE_DEEP === '1' ? ci * 35 : ci);

const EXTENDED: EnvConfigInput = { objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4, candidateWindow: 'level-1-and-shortest' };

/** Drives a drained episode with the expert's actions; checks every label on the way and returns the episode's total response time. */
function expertEpisode(config: EnvConfigInput, expert: RolloutExpert, seed: number): number {
  const env = makeEnv({ ...config, invalidAction: 'mask', drain: true });
  let { obs, info } = env.reset({ seed });
  // An episode whose tasks all arrive after its horizon has no decision: nothing to label.
  if (info.episode !== undefined) return env.simulation.responseTimeArea;
  for (;;) {
    const label = expert.label(env, obs);
    expect(label.optimal.length).toBe(obs.mask.length);
    expect(label.action).toBeGreaterThanOrEqual(0);
    expect(obs.mask[label.action]).toBe(1);
    expect(label.optimal[label.action]).toBe(1);
    // Only valid actions are ever called optimal.
    for (let a = 0; a < obs.mask.length; a++) if (label.optimal[a] === 1) expect(obs.mask[a]).toBe(1);
    const step = env.step(label.action);
    obs = step.obs;
    if (step.terminated || step.truncated) {
      expect(step.terminated).toBe(true);
      return env.simulation.responseTimeArea;
    }
  }
}

describe('RolloutExpert', () => {
  it('labels valid actions, and its episodes are never worse than its base (the rollout improvement property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom('eft', 'fastest'),
        fc.constantFrom<EnvConfigInput>({}, { lambda16: 2.5 }, { communication: 'delays-start' }),
        (seed, base, extra) => {
          const config: EnvConfigInput = { nodes: 4, horizon: 6, ...extra };
          const baseline = runEpisode(createSimulation({ ...config, seed, drain: true } as never), makePolicy(base)).responseTimeArea;
          // The paper's layout (level 1 picks the task): the expert picks the server class, so the
          // choice of a base that starts that task on an idle server (from the state alone) is among its
          // tries. (Busy-aware bases such as mct may wait, which this layout cannot express.)
          const total = expertEpisode(config, new RolloutExpert({ bases: [base] }), seed);
          expect(total).toBeLessThanOrEqual(baseline * (1 + 1e-12));
        },
      ),
      { numRuns: runs(10) },
    );
  });

  it('labels the task-and-server layout with waiting, and leaves the episode it looks at unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom<EnvConfigInput>({}, { lambda16: 2.5 }, { communication: 'delays-start' }), (seed, extra) => {
        const config: EnvConfigInput = { nodes: 6, horizon: 5, ...EXTENDED, ...extra };
        const expert = new RolloutExpert({ bases: ['sjf', 'eft'] });
        const total = expertEpisode(config, expert, seed);
        // The same actions without labelling give the same episode: labelling only reads it (forks).
        const env = makeEnv({ ...config, invalidAction: 'mask', drain: true });
        const again = makeEnv({ ...config, invalidAction: 'mask', drain: true });
        const start = env.reset({ seed });
        let obs = start.obs;
        let other = again.reset({ seed }).obs;
        for (let over = start.info.episode !== undefined; !over; ) {
          const { action } = expert.label(env, obs);
          const step = env.step(action);
          const plain = again.step(action);
          expect(Array.from(plain.obs.mask)).toEqual(Array.from(step.obs.mask));
          obs = step.obs;
          other = plain.obs;
          over = step.terminated || step.truncated;
        }
        expect(other.mask.length).toBe(obs.mask.length);
        expect(again.simulation.responseTimeArea).toBe(env.simulation.responseTimeArea);
        expect(env.simulation.responseTimeArea).toBe(total);
      }),
      { numRuns: runs(6) },
    );
  });

  it('calls every server of the chosen group optimal, and only one label when nothing is to choose', () => {
    // Paper cluster at N = 16, first decision: every server idle, so each class's servers are one group.
    const env = makeEnv({ nodes: 16, horizon: 10, invalidAction: 'mask', ...EXTENDED });
    const { obs } = env.reset({ seed: 3 });
    const label = new RolloutExpert({ bases: ['sjf'] }).label(env, obs);
    const sim = env.simulation;
    const chosenClass = sim.serverClass(env.serverOf(label.action % obs.n));
    const candidate = Math.floor(label.action / obs.n);
    for (let j = 0; j < obs.n; j++) {
      const a = candidate * obs.n + j;
      const same = obs.mask[a] === 1 && sim.serverClass(env.serverOf(j)) === chosenClass;
      if (same) expect(label.optimal[a]).toBe(1);
    }
    expect(label.scored).toBeGreaterThan(1);
    expect(label.scored).toBeLessThanOrEqual(obs.k! * sim.classCount + 1);
  });

  it('is deterministic', () => {
    const env = makeEnv({ nodes: 8, horizon: 8, invalidAction: 'mask', ...EXTENDED });
    let { obs } = env.reset({ seed: 11 });
    const a = new RolloutExpert({ bases: ['sjf', 'eft', 'mct'] });
    const b = new RolloutExpert({ bases: ['sjf', 'eft', 'mct'] });
    for (let t = 0; t < 20; t++) {
      const la = a.label(env, obs);
      const lb = b.label(env, obs);
      expect(lb.action).toBe(la.action);
      expect(Array.from(lb.optimal)).toEqual(Array.from(la.optimal));
      const step = env.step(la.action);
      if (step.terminated || step.truncated) break;
      obs = step.obs;
    }
  });

  it('refuses base names that are not heuristics, naming the field', () => {
    expect(() => new RolloutExpert({ bases: [] })).toThrow(ConfigError);
    expect(() => new RolloutExpert({ bases: ['rollout-sjf'] })).toThrow(/expert\.bases/);
    expect(() => new RolloutExpert({ bases: ['nope'] })).toThrow(/expert\.bases/);
    expect(() => new RolloutExpert({ bases: ['sjf', 'nope'], field: 'dagger.bases' })).toThrow(/^dagger\.bases: expected heuristics from random, .*, received "nope"$/);
  });
});
