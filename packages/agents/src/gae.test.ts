import { describe, expect, it } from 'vitest';
import { computeGae } from './gae.js';

describe('GAE', () => {
  it('matches values computed by hand, with a termination, a truncation and an autoreset step', () => {
    // One env, 5 steps: step 1 terminates, step 2 is its autoreset (ignored), step 3 is truncated.
    const gamma = 0.9;
    const lambda = 0.5;
    const rewards = Float32Array.from([1, 2, 0, 3, 1]);
    const values = Float32Array.from([0.5, 1, 4, 2, 1.5]);
    const terminated = Uint8Array.from([0, 1, 0, 0, 0]);
    const truncated = Uint8Array.from([0, 0, 0, 1, 0]);
    const valid = Uint8Array.from([1, 1, 0, 1, 1]);
    // Step 3 was truncated and step 4 is valid (not an autoreset) in this synthetic layout, so
    // V(final obs) = values[4] bootstraps it; step 4 bootstraps from nextValues.
    const { advantages, returns } = computeGae({ steps: 5, envs: 1, rewards, values, nextValues: Float32Array.from([2]), terminated, truncated, valid, gamma, lambda });
    const d4 = 1 + 0.9 * 2 - 1.5; // 1.3
    const a4 = d4;
    const d3 = 3 + 0.9 * 1.5 - 2; // 2.35, episode ended: no lambda-continuation
    const a3 = d3;
    const a2 = 0; // autoreset step
    const d1 = 2 + 0 - 1; // terminated: no bootstrap
    const a1 = d1;
    const d0 = 1 + 0.9 * 1 - 0.5; // 1.4
    const a0 = d0 + 0.9 * 0.5 * a1; // 1.85
    const expected = [a0, a1, a2, a3, a4];
    for (const [i, a] of expected.entries()) {
      expect(advantages[i]).toBeCloseTo(a, 5);
      expect(returns[i]).toBeCloseTo(i === 2 ? 0 : a + values[i]!, 5);
    }
  });

  it('keeps envs apart in time-major storage', () => {
    const { advantages } = computeGae({
      steps: 2,
      envs: 2,
      rewards: Float32Array.from([1, 0, 1, 0]),
      values: new Float32Array(4),
      nextValues: new Float32Array(2),
      terminated: new Uint8Array(4),
      truncated: new Uint8Array(4),
      valid: Uint8Array.from([1, 1, 1, 1]),
      gamma: 1,
      lambda: 1,
    });
    expect(Array.from(advantages)).toEqual([2, 0, 1, 0]);
  });

  describe('per second of simulated time (elapsed given)', () => {
    const base = {
      steps: 5,
      envs: 1,
      rewards: Float32Array.from([1, 2, 0, 3, 1]),
      values: Float32Array.from([0.5, 1, 4, 2, 1.5]),
      nextValues: Float32Array.from([2]),
      terminated: Uint8Array.from([0, 1, 0, 0, 0]),
      truncated: Uint8Array.from([0, 0, 0, 1, 0]),
      valid: Uint8Array.from([1, 1, 0, 1, 1]),
      gamma: 0.9,
      lambda: 0.5,
    };

    it('one second per decision is the per-step estimate', () => {
      const perStep = computeGae(base);
      const perSecond = computeGae({ ...base, elapsed: new Float64Array(5).fill(1) });
      expect(Array.from(perSecond.advantages)).toEqual(Array.from(perStep.advantages));
      expect(Array.from(perSecond.returns)).toEqual(Array.from(perStep.returns));
    });

    it('discounts by gamma ** dt and passes (gamma lambda) ** dt back, bootstrapping a truncation', () => {
      const elapsed = Float64Array.from([0.5, 2, 7, 3, 0.25]);
      const { advantages } = computeGae({ ...base, elapsed });
      const a4 = 1 + 0.9 ** 0.25 * 2 - 1.5; // bootstraps nextValues over 0.25 s
      const a3 = 3 + 0.9 ** 3 * 1.5 - 2; // truncated: V(final obs) over 3 s, no continuation
      const a1 = 2 - 1; // terminated
      const a0 = 1 + 0.9 ** 0.5 * 1 - 0.5 + (0.9 * 0.5) ** 0.5 * a1;
      const expected = [a0, a1, 0, a3, a4];
      for (const [i, a] of expected.entries()) expect(advantages[i]).toBeCloseTo(a, 5);
    });

    it('does not discount decisions taken at the same instant against each other', () => {
      const args = { ...base, terminated: new Uint8Array(5), truncated: new Uint8Array(5), valid: new Uint8Array(5).fill(1) };
      const { advantages } = computeGae({ ...args, elapsed: new Float64Array(5) });
      // dt = 0 everywhere: gamma ** 0 = (gamma lambda) ** 0 = 1, the undiscounted, lambda = 1 sum.
      const undiscounted = computeGae({ ...args, gamma: 1, lambda: 1 });
      for (let i = 0; i < 5; i++) expect(advantages[i]).toBeCloseTo(undiscounted.advantages[i]!, 5);
    });
  });
});
