/**
 * Returns and advantages with an input-driven baseline (Mao et al., ICLR 2019, "Variance reduction
 * for reinforcement learning in input-driven environments"; Decima, SIGCOMM 2019). k envs ran one
 * episode each on the SAME arrival sequence; the baseline of a decision at simulated time s is the
 * mean over the k envs of their return-to-go from s. The arrivals, which no critic can predict, are
 * the same in every term, so they cancel from the advantage; what is left is what the actions did.
 *
 * Layout: time-major, row t * envs + i is env i's decision t; env i's decisions are rows
 * 0..lengths[i]-1 (later rows of its column are ignored and get 0).
 * - `times`: the simulated time of each decision (nondecreasing per env).
 * - `endTimes[i]`: when env i's episode ended (or was cut); `endValues[i]`: the value of what
 *   follows it: 0 when it terminated, V(final observation) when it was truncated or cut.
 * - `discount`: `per-step` discounts by `gamma` per decision; `per-second` by `gamma ** dt` over
 *   the dt simulated seconds between a decision and the next (or the end).
 *
 * Env j's return-to-go from time s is G_j(u) of its first decision u at or after s, discounted back
 * to s (`gamma ** (time_u - s)` per second; not at all per step); when no decision of env j is at or
 * after s it is its end value, discounted back from its end time when that is after s. Ties in time
 * take the first of the decisions at that instant (their return holds all of that instant's rewards).
 * Linear in the steps: each env's decisions are visited in time order with a pointer into every env.
 */
export function inputDrivenBaseline(args: {
  readonly envs: number;
  readonly lengths: Int32Array;
  readonly rewards: Float32Array;
  readonly times: Float64Array;
  readonly endTimes: Float64Array;
  readonly endValues: Float32Array | Float64Array;
  readonly gamma: number;
  readonly discount: 'per-step' | 'per-second';
}): { returns: Float32Array; advantages: Float32Array; baselines: Float32Array } {
  const { envs: k, lengths, rewards, times, endTimes, endValues, gamma, discount } = args;
  const size = rewards.length;
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma: expected a number in [0, 1], received ${gamma}`);
  if (lengths.length !== k || endTimes.length !== k || endValues.length !== k) {
    throw new RangeError(`lengths, endTimes, endValues: expected ${k} entries each (one per env), received ${lengths.length}, ${endTimes.length}, ${endValues.length}`);
  }
  if (times.length !== size) throw new RangeError(`times: expected ${size} entries (one per reward), received ${times.length}`);
  for (let i = 0; i < k; i++) {
    const n = lengths[i] as number;
    // Env i's rows i, i + k, ... that fit in the rollout.
    const most = size > i ? Math.floor((size - 1 - i) / k) + 1 : 0;
    if (!(Number.isInteger(n) && n >= 0 && n <= most)) throw new RangeError(`lengths[${i}]: expected an integer in [0, ${most}], received ${n}`);
  }
  const perSecond = discount === 'per-second';
  /** The discount over `dt` seconds or one decision. */
  const over = (dt: number) => (perSecond ? gamma ** dt : gamma);

  // 1. Each env's discounted return-to-go, backwards from its end value.
  const returnsToGo = new Float64Array(size);
  for (let i = 0; i < k; i++) {
    let next = endValues[i] as number;
    let nextTime = endTimes[i] as number;
    for (let t = (lengths[i] as number) - 1; t >= 0; t--) {
      const idx = t * k + i;
      const time = times[idx] as number;
      next = (rewards[idx] as number) + over(nextTime - time) * next;
      nextTime = time;
      returnsToGo[idx] = next;
    }
  }

  // 2. The baseline at each decision's time: the mean over envs of their return-to-go from then.
  const back = (dt: number) => (perSecond ? gamma ** dt : 1);
  const pointers = new Int32Array(k);
  const returns = new Float32Array(size);
  const advantages = new Float32Array(size);
  const baselines = new Float32Array(size);
  for (let i = 0; i < k; i++) {
    pointers.fill(0);
    for (let t = 0; t < (lengths[i] as number); t++) {
      const idx = t * k + i;
      const s = times[idx] as number;
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const n = lengths[j] as number;
        let u = pointers[j] as number;
        while (u < n && (times[u * k + j] as number) < s) u++;
        pointers[j] = u;
        if (u < n) {
          sum += back((times[u * k + j] as number) - s) * (returnsToGo[u * k + j] as number);
        } else {
          const end = endTimes[j] as number;
          sum += (end >= s ? back(end - s) : 1) * (endValues[j] as number);
        }
      }
      const baseline = sum / k;
      const g = returnsToGo[idx] as number;
      returns[idx] = g;
      baselines[idx] = baseline;
      advantages[idx] = g - baseline;
    }
  }
  return { returns, advantages, baselines };
}
