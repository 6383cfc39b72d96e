import { describe, expect, it } from 'vitest';
import { Rng } from '@scale/workload';
import { evaluateChooser, evaluateHeuristic } from './evaluate.js';

const setup = (invalidAction: 'penalize' | 'mask') => ({ env: { horizon: 6, invalidAction }, nodes: 4, episodes: 2 });

describe('invalid actions per evaluation episode', () => {
  it('records the decisions and the invalid ones a policy chose in penalize mode', () => {
    // Always server 0: invalid whenever it is busy or too small.
    const summary = evaluateChooser('first', () => 0, setup('penalize'));
    for (const e of summary.episodes) {
      expect(e.decisions).toBeGreaterThan(0);
      expect(e.invalidActions).toBeGreaterThan(0);
      expect(e.invalidActions).toBeLessThan(e.decisions as number);
    }
  });

  it('records none for a policy that picks only valid servers, and none for a heuristic', () => {
    const valid = evaluateChooser('valid', (obs) => Math.max(0, Array.from(obs.mask).indexOf(1)), setup('penalize'));
    expect(valid.episodes.map((e) => e.invalidActions)).toEqual([0, 0]);
    const eft = evaluateHeuristic('eft', setup('penalize'));
    expect(eft.episodes.map((e) => e.invalidActions)).toEqual([0, 0]);
    expect(eft.episodes.every((e) => (e.decisions as number) > 0)).toBe(true);
  });

  it("runs a heuristic on the simulator's settings only: the env's own settings change nothing, an unknown key is named", () => {
    const setup = { env: { horizon: 5 }, nodes: 4, episodes: 2 };
    const plain = evaluateHeuristic('eft', setup);
    const withEnvSettings = evaluateHeuristic('eft', { ...setup, env: { horizon: 5, objective: 'response-time', responseTimeScale: 100, observation: 'queue-aware', actions: 'task-and-server', defer: true } });
    expect(withEnvSettings.episodes).toEqual(plain.episodes);
    expect(() => evaluateHeuristic('eft', { ...setup, env: { horizon: 5, bogus: 1 } as never })).toThrow(/bogus/);
  });
});

describe('learned-policy evaluation settings', () => {
  const deferEnv = { horizon: 6, invalidAction: 'mask' as const, actions: 'task-and-server' as const, defer: true };
  /** Defers whenever it may, on every other decision; else starts the first valid pair. */
  const sometimesDefers = () => {
    let turn = 0;
    return (obs: { mask: ArrayLike<number> }) => {
      const last = obs.mask.length - 1;
      turn += 1;
      if (turn % 2 === 0 && obs.mask[last] === 1) return last;
      return Math.max(0, Array.from(obs.mask).indexOf(1));
    };
  };

  it('records the deferrals of a policy whose env offers defer, and no such field otherwise', () => {
    const withDefer = evaluateChooser('defers', sometimesDefers(), { env: deferEnv, nodes: 4, episodes: 2 });
    expect(withDefer.episodes.every((e) => (e.deferrals as number) > 0)).toBe(true);
    const without = evaluateChooser('valid', (obs) => Math.max(0, Array.from(obs.mask).indexOf(1)), setup('mask'));
    expect(without.episodes.every((e) => !('deferrals' in e))).toBe(true);
  });

  it('reseeds a sampling policy per episode: an episode gives the same result alone as after others', () => {
    let stream = new Rng(0);
    const sampler = (obs: { mask: ArrayLike<number> }) => {
      const valid = Array.from(obs.mask).flatMap((m, a) => (m === 1 ? [a] : []));
      return stream.pick(valid);
    };
    const onReset = (seed: number) => void (stream = new Rng(seed).child('eval:sample'));
    const both = evaluateChooser('sampler', sampler, { env: deferEnv, nodes: 4, episodes: 2, seedBase: 500, onReset });
    const second = evaluateChooser('sampler', sampler, { env: deferEnv, nodes: 4, episodes: 1, seedBase: 501, onReset });
    expect(second.episodes[0]).toEqual(both.episodes[1]);
  });
});
