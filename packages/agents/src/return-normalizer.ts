/**
 * Reward scaling by the running standard deviation of the discounted return, as Stable-Baselines3's
 * `VecNormalize(norm_reward=True)` and Gymnasium's `NormalizeReward` do, applied once per rollout.
 *
 * Why: PPO normalizes advantages per minibatch, so the policy term's gradient is O(1) at any reward
 * scale, but the critic regresses raw returns. With the response-time reward those returns are in the
 * hundreds, the value loss's gradient is 100-1,000x the policy's, and the global norm clip (0.5)
 * shrinks the policy's share to almost nothing: the policy does not move (approx KL about 1e-5).
 * Dividing rewards by the return's running std keeps the critic's targets near unit scale at every
 * load and N, without a hand-tuned reward constant.
 *
 * Per env it keeps the discounted return accumulator G = gamma_t * G + r (reset when an episode
 * ends; `gamma_t` is gamma per step, or gamma ** dt with per-second discounting). Each rollout, every
 * valid step's G joins the running mean and variance (Chan et al.'s parallel merge), then the
 * rollout's rewards are divided by sqrt(variance + 1e-8). The mean is not subtracted (as in SB3): a
 * shift would change which policy is optimal when episodes end.
 */
export class ReturnNormalizer {
  /** Each env's discounted return so far in its current episode. */
  private readonly returns: Float64Array;
  private count = 0;
  private mean = 0;
  /** Sum of squared deviations from `mean` over `count` samples. */
  private m2 = 0;

  constructor(envs: number) {
    this.returns = new Float64Array(envs);
  }

  /** The divisor applied last: sqrt(variance + 1e-8) of the discounted return (1 before any sample). */
  get scale(): number {
    return this.count < 2 ? 1 : Math.sqrt(this.m2 / this.count + 1e-8);
  }

  /**
   * Updates the statistics with this time-major rollout (row t * envs + i) and divides its rewards
   * in place. `discountAt(idx)` is the discount applied to the return before step idx's reward.
   */
  normalize(rollout: { rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; valid: Uint8Array; used: number; discountAt: (idx: number) => number }): number {
    const envs = this.returns.length;
    const { rewards, terminated, truncated, valid, used } = rollout;
    let batchCount = 0;
    let batchMean = 0;
    let batchM2 = 0;
    for (let idx = 0; idx < used; idx++) {
      if (valid[idx] !== 1) continue;
      const i = idx % envs;
      const g = (this.returns[i] as number) * rollout.discountAt(idx) + (rewards[idx] as number);
      this.returns[i] = terminated[idx] === 1 || truncated[idx] === 1 ? 0 : g;
      batchCount += 1;
      const delta = g - batchMean;
      batchMean += delta / batchCount;
      batchM2 += delta * (g - batchMean);
    }
    if (batchCount > 0) {
      const total = this.count + batchCount;
      const delta = batchMean - this.mean;
      this.m2 += batchM2 + (delta * delta * this.count * batchCount) / total;
      this.mean += (delta * batchCount) / total;
      this.count = total;
    }
    const scale = this.scale;
    for (let idx = 0; idx < used; idx++) rewards[idx] = (rewards[idx] as number) / scale;
    return scale;
  }

  /** JSON state for a checkpoint (doubles survive JSON exactly). */
  state(): { returns: number[]; count: number; mean: number; m2: number } {
    return { returns: Array.from(this.returns), count: this.count, mean: this.mean, m2: this.m2 };
  }

  restore(state: unknown): void {
    const s = state as { returns?: unknown; count?: unknown; mean?: unknown; m2?: unknown } | undefined;
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (s === undefined || !Array.isArray(s.returns) || s.returns.length !== this.returns.length || !s.returns.every(finite) || !finite(s.count) || !finite(s.mean) || !finite(s.m2)) {
      throw new RangeError(`returnNormalizer: expected { returns: ${this.returns.length} finite numbers, count, mean, m2 } in the checkpoint`);
    }
    this.returns.set(s.returns);
    this.count = s.count;
    this.mean = s.mean;
    this.m2 = s.m2;
  }
}
