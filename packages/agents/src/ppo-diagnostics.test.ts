import { describe, expect, it } from 'vitest';
import { explainedVariance } from './ppo-diagnostics.js';

describe('PPO diagnostics', () => {
  it('explained variance is 1 for a perfect critic and 0 for a constant one', () => {
    expect(explainedVariance([1, 2, 3], [1, 2, 3])).toBeCloseTo(1, 12);
    expect(explainedVariance([2, 2, 2], [1, 2, 3])).toBeCloseTo(0, 12);
  });
});
