import { describe, expect, it } from 'vitest';
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
