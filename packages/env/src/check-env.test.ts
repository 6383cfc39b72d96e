import { describe, expect, it } from 'vitest';
import { checkEnv, EnvCheckError } from './check-env.js';
import { SchedulingEnv, type StepResult } from './env.js';

describe('checkEnv', () => {
  it('passes the env in both invalid-action modes, with and without drain and failures', () => {
    const penalize = checkEnv(new SchedulingEnv({ nodes: 8, horizon: 20 }), { seed: 3 });
    expect(penalize.steps).toBeGreaterThan(50);
    expect(penalize.invalidStepsChecked).toBeGreaterThan(0);
    expect(checkEnv(new SchedulingEnv({ nodes: 8, horizon: 20, invalidAction: 'mask' }), { seed: 3 }).invalidStepsChecked).toBe(0);
    expect(checkEnv(new SchedulingEnv({ nodes: 24, horizon: 10, drain: true, failures: { mtbf: 10, mttr: 1 }, communication: 'delays-start' })).episodes).toBe(1);
  });

  it('catches an env that breaks the contract', () => {
    class NaNReward extends SchedulingEnv {
      override step(action: number): StepResult {
        return { ...super.step(action), reward: Number.NaN };
      }
    }
    expect(() => checkEnv(new NaNReward({ nodes: 4, horizon: 5 }))).toThrow(/reward NaN at step 1 is not finite/);

    class LyingMask extends SchedulingEnv {
      override isValidAction(): boolean {
        return true;
      }
    }
    const lying = (() => {
      try {
        checkEnv(new LyingMask({ nodes: 16, horizon: 20 }), { seed: 1 });
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(lying).toBeInstanceOf(EnvCheckError);
    expect((lying as EnvCheckError).problems.some((p) => /disagrees with validity/.test(p))).toBe(true);

    let calls = 0;
    class Nondeterministic extends SchedulingEnv {
      override step(action: number): StepResult {
        const result = super.step(action);
        return { ...result, reward: result.reward + (calls++ % 2) * 1e-3 };
      }
    }
    expect(() => checkEnv(new Nondeterministic({ nodes: 4, horizon: 10 }))).toThrow(/same seed and actions diverged/);
  });

  it("passes every layout of issue 14 (objective x observation x actions x defer), in both invalid-action modes", () => {
    for (const objective of ['paper', 'response-time'] as const) {
      for (const observation of ['paper', 'queue-aware'] as const) {
        for (const actions of ['server', 'task-and-server'] as const) {
          for (const defer of [false, true]) {
            const config = { nodes: 8, horizon: 10, drain: true, objective, observation, actions, defer, failures: { mtbf: 15, mttr: 1 } } as const;
            const penalize = checkEnv(new SchedulingEnv(config), { seed: 4 });
            expect(penalize.episodes).toBe(1);
            expect(penalize.invalidStepsChecked).toBeGreaterThan(0);
            expect(checkEnv(new SchedulingEnv({ ...config, invalidAction: 'mask' }), { seed: 4 }).invalidStepsChecked).toBe(0);
          }
        }
      }
    }
  });

  it('catches a response-time reward that does not sum to the objective, a wrong elapsed time and a lying defer mask', () => {
    const config = { nodes: 6, horizon: 10, drain: true, objective: 'response-time', actions: 'task-and-server', defer: true } as const;
    class Leaky extends SchedulingEnv {
      override step(action: number): StepResult {
        const result = super.step(action);
        return { ...result, reward: result.reward * 0.999 };
      }
    }
    expect(() => checkEnv(new Leaky(config))).toThrow(/the response-time rewards sum to/);
    class Clockless extends SchedulingEnv {
      override step(action: number): StepResult {
        const result = super.step(action);
        return { ...result, info: { ...result.info, elapsed: 0 } };
      }
    }
    expect(() => checkEnv(new Clockless(config))).toThrow(/info\.elapsed = 0/);
    class AlwaysDefer extends SchedulingEnv {
      override isValidAction(action: number): boolean {
        return action === this.actionSpace.n - 1 || super.isValidAction(action);
      }
    }
    expect(() => checkEnv(new AlwaysDefer(config), { seed: 2 })).toThrow(/disagrees with validity/);
  });
});
