import { Rng } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import { inputDrivenBaseline } from './input-driven-baseline.js';

/** Time-major arrays from per-env columns (`NaN` pads the rows past an env's end). */
function rollout(columns: readonly { times: number[]; rewards: number[]; end: number; value: number }[]) {
  const k = columns.length;
  const rows = Math.max(...columns.map((c) => c.times.length));
  const times = new Float64Array(rows * k).fill(Number.NaN);
  const rewards = new Float32Array(rows * k).fill(Number.NaN);
  columns.forEach((c, i) => {
    c.times.forEach((time, t) => {
      times[t * k + i] = time;
      rewards[t * k + i] = c.rewards[t] as number;
    });
  });
  return {
    envs: k,
    lengths: Int32Array.from(columns, (c) => c.times.length),
    rewards,
    times,
    endTimes: Float64Array.from(columns, (c) => c.end),
    endValues: Float32Array.from(columns, (c) => c.value),
  };
}

/** Env i's values in decision order. */
const column = (values: Float32Array, k: number, i: number, n: number) => Array.from({ length: n }, (_, t) => values[t * k + i] as number);

// Env 0: decisions at 0, 1, 3 s, terminated at 4 s. Env 1: decisions at 0 and 2 s, truncated at 5 s with V = -2.
const twoEnvs = rollout([
  { times: [0, 1, 3], rewards: [-1, -2, -1], end: 4, value: 0 },
  { times: [0, 2], rewards: [-3, -1], end: 5, value: -2 },
]);

describe('inputDrivenBaseline', () => {
  it('per step: returns discounted per decision, the baseline the mean return-to-go of the envs from each decision time', () => {
    const { returns, baselines, advantages } = inputDrivenBaseline({ ...twoEnvs, gamma: 0.5, discount: 'per-step' });
    // Env 0: G = -1 + 0.5 (-2 + 0.5 (-1 + 0.5 * 0)); env 1: G = -3 + 0.5 (-1 + 0.5 * -2).
    expect(column(returns, 2, 0, 3)).toEqual([-2.25, -2.5, -1]);
    expect(column(returns, 2, 1, 2)).toEqual([-4, -2]);
    // At 1 s env 1's next decision is at 2 s (-2); at 3 s env 1 has none left: its bootstrap value -2.
    expect(column(baselines, 2, 0, 3)).toEqual([(-2.25 - 4) / 2, (-2.5 - 2) / 2, (-1 - 2) / 2]);
    expect(column(baselines, 2, 1, 2)).toEqual([(-2.25 - 4) / 2, (-1 - 2) / 2]);
    expect(column(advantages, 2, 0, 3)).toEqual([0.875, -0.25, 0.5]);
    expect(column(advantages, 2, 1, 2)).toEqual([-0.875, -0.5]);
    // Rows past an env's end are 0.
    expect([returns[5], advantages[5], baselines[5]]).toEqual([0, 0, 0]);
  });

  it('per second: gamma ** dt between decisions, and each term discounted back to the decision time', () => {
    const { returns, baselines, advantages } = inputDrivenBaseline({ ...twoEnvs, gamma: 0.5, discount: 'per-second' });
    // Env 0: -1 + 0.5^2 * 0 -> -1; -2 + 0.5^2 * -1 = -2.25; -1 + 0.5^1 * -2.25 = -2.125.
    expect(column(returns, 2, 0, 3)).toEqual([-2.125, -2.25, -1]);
    // Env 1: -1 + 0.5^3 * -2 = -1.25; -3 + 0.5^2 * -1.25 = -3.3125.
    expect(column(returns, 2, 1, 2)).toEqual([-3.3125, -1.25]);
    // At 1 s: env 1's decision at 2 s, 0.5^1 * -1.25; at 3 s: env 1's end at 5 s, 0.5^2 * -2; at 2 s: env 0's decision at 3 s, 0.5 * -1.
    expect(column(baselines, 2, 0, 3)).toEqual([(-2.125 - 3.3125) / 2, (-2.25 - 0.625) / 2, (-1 - 0.5) / 2]);
    expect(column(baselines, 2, 1, 2)).toEqual([(-2.125 - 3.3125) / 2, (-0.5 - 1.25) / 2]);
    expect(column(advantages, 2, 0, 3)).toEqual([0.59375, -0.8125, -0.25]);
    expect(column(advantages, 2, 1, 2)).toEqual([-0.59375, -0.375]);
  });

  it('an env whose episode ended before the decision contributes its end value; ties take the first decision of the instant', () => {
    const three = rollout([
      { times: [0, 1, 1], rewards: [-1, -2, -4], end: 2, value: 0 },
      { times: [0], rewards: [-8], end: 0.5, value: -6 },
      { times: [0, 1], rewards: [-1, -1], end: 3, value: 0 },
    ]);
    const { returns, baselines } = inputDrivenBaseline({ ...three, gamma: 0.5, discount: 'per-second' });
    // Env 0 at 1 s: two decisions at that instant, G = -2 + 1 * (-4 + 0.5 * 0) = -6 (dt 0: no discount).
    expect(column(returns, 3, 0, 3)).toEqual([-1 + 0.5 * -6, -6, -4]);
    // Both of env 0's decisions at 1 s see env 0's first decision of the instant (-6), env 1's end
    // value (its episode ended at 0.5 s: -6, not discounted) and env 2's decision at 1 s (-1).
    const atOne = (-6 - 6 - 1) / 3;
    expect(column(baselines, 3, 0, 3).slice(1)).toEqual([Math.fround(atOne), Math.fround(atOne)]);
    // At 0 s every env's first decision: env 1's G is -8 + 0.5^0.5 * -6 (its end 0.5 s later).
    const atZero = Math.fround((-4 + (-8 + 0.5 ** 0.5 * -6) + (-1 + 0.5 * -1)) / 3);
    expect([column(baselines, 3, 0, 1)[0], column(baselines, 3, 1, 1)[0], column(baselines, 3, 2, 1)[0]]).toEqual([atZero, atZero, atZero]);
  });

  it('equals a direct evaluation of the definition on random ragged rollouts, both discounts', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const k = rng.int(1, 4);
      const columns = Array.from({ length: k }, () => {
        const n = rng.int(0, 12);
        const times: number[] = [];
        let time = 0;
        for (let t = 0; t < n; t++) {
          time += rng.next() < 0.3 ? 0 : rng.uniform(0, 2);
          times.push(time);
        }
        return { times, rewards: times.map(() => -rng.uniform(0, 3)), end: time + rng.uniform(0, 2), value: rng.next() < 0.5 ? 0 : -rng.uniform(0, 5) };
      });
      const data = rollout(columns);
      for (const discount of ['per-step', 'per-second'] as const) {
        const gamma = 0.9;
        const { returns, baselines, advantages } = inputDrivenBaseline({ ...data, gamma, discount });
        const step = (dt: number) => (discount === 'per-second' ? gamma ** dt : gamma);
        const back = (dt: number) => (discount === 'per-second' ? gamma ** dt : 1);
        // G by the sum over the rest of the episode.
        const G = columns.map((c) =>
          c.times.map((_, t) => {
            let total = 0;
            let factor = 1;
            for (let u = t; u < c.times.length; u++) {
              total += factor * (c.rewards[u] as number);
              factor *= step((u + 1 < c.times.length ? (c.times[u + 1] as number) : c.end) - (c.times[u] as number));
            }
            return total + factor * c.value;
          }),
        );
        const fromTime = (j: number, s: number) => {
          const c = columns[j]!;
          const u = c.times.findIndex((time) => time >= s);
          if (u >= 0) return back((c.times[u] as number) - s) * (G[j]![u] as number);
          return (c.end >= s ? back(c.end - s) : 1) * c.value;
        };
        columns.forEach((c, i) => {
          c.times.forEach((s, t) => {
            const idx = t * k + i;
            const b = columns.reduce((sum, _, j) => sum + fromTime(j, s), 0) / k;
            expect(returns[idx]).toBeCloseTo(G[i]![t] as number, 4);
            expect(baselines[idx]).toBeCloseTo(b, 4);
            expect(advantages[idx]).toBeCloseTo((G[i]![t] as number) - b, 4);
          });
        });
      }
    }
  });

  it('envs that acted alike have zero advantage; bad shapes are named', () => {
    const same = rollout([0, 1, 2].map(() => ({ times: [0, 0.5, 2], rewards: [-1, -2, -3], end: 3, value: -1 })));
    const { advantages } = inputDrivenBaseline({ ...same, gamma: 0.99, discount: 'per-second' });
    for (const a of advantages) expect(Math.abs(a)).toBeLessThan(1e-12);
    expect(() => inputDrivenBaseline({ ...twoEnvs, gamma: 1.5, discount: 'per-step' })).toThrow(/gamma: expected a number in \[0, 1\], received 1.5/);
    expect(() => inputDrivenBaseline({ ...twoEnvs, lengths: Int32Array.from([3, 4]), gamma: 0.5, discount: 'per-step' })).toThrow(/lengths\[1\]: expected an integer in \[0, 3\], received 4/);
    expect(() => inputDrivenBaseline({ ...twoEnvs, lengths: Int32Array.from([4, 2]), gamma: 0.5, discount: 'per-step' })).toThrow(/lengths\[0\]: expected an integer in \[0, 3\], received 4/);
    expect(() => inputDrivenBaseline({ ...twoEnvs, endValues: new Float32Array(1), gamma: 0.5, discount: 'per-step' })).toThrow(/one per env/);
  });
});
