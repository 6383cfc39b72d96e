import { VectorEnv } from '@scale/env';
import { makePolicy } from '@scale/sim';
import { describe, expect, it } from 'vitest';
import { heuristicTrainingReturns } from './training-reference.js';

const env = { nodes: 4, horizon: 8, invalidAction: 'penalize' as const };

describe('heuristicTrainingReturns', () => {
  it("gives eft's returns on exactly the episodes a training run's vector env plays (same seeds, autoresets included)", () => {
    const reference = heuristicTrainingReturns('eft', { env, seed: 42, envs: 2, episodesPerEnv: 3 });
    // The same episodes through the vector env that training steps, eft choosing each env's server.
    const vector = new VectorEnv(2, { ...env, seed: 42 });
    vector.reset({ seed: 42 });
    const policies = [0, 1].map((i) => makePolicy('eft', { seed: 42 + i }));
    const returns: number[][] = [[], []];
    while (returns.some((r) => r.length < 3)) {
      const actions = vector.envs.map((e, i) => {
        if (returns[i]?.length === 3) return 0;
        try {
          const sim = e.simulation;
          const server = (policies[i] as ReturnType<typeof makePolicy>).choose(sim);
          let action = 0;
          for (let j = 0; j < server; j++) if (sim.isUp(j)) action++;
          return action;
        } catch {
          return 0;
        }
      });
      const step = vector.step(actions);
      step.infos.forEach((info, i) => {
        if ((step.terminated[i] || step.truncated[i]) && (returns[i]?.length ?? 3) < 3) returns[i]?.push(info.episode?.return as number);
      });
    }
    expect(reference.returns).toEqual(returns.flat());
    expect(reference.returns).toHaveLength(6);
    expect(new Set(reference.returns).size).toBeGreaterThan(1);
    expect(reference.mean).toBeCloseTo(returns.flat().reduce((a, b) => a + b, 0) / 6, 12);
  });

  it('is deterministic', () => {
    const settings = { env, seed: 7, envs: 1, episodesPerEnv: 2 };
    expect(heuristicTrainingReturns('eft', settings)).toEqual(heuristicTrainingReturns('eft', settings));
  });
});
