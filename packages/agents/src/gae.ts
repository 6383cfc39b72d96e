/**
 * Generalized advantage estimation (Schulman et al. 2016) over a rollout of T steps x k envs, stored
 * time-major (index t * k + i).
 * - `values[t*k+i]`: V of the observation acted on at step t.
 * - `nextValues[i]`: V of each env's observation after the last step (the bootstrap).
 * - `terminated` / `truncated`: step t ended env i's episode. A terminated step bootstraps nothing;
 *   a truncated one bootstraps V(final observation), which with next-step autoreset is the value
 *   stored at step t+1 (or `nextValues` at the end). No advantage flows across an episode end.
 * - `valid[t*k+i] = 0` marks an autoreset step (its action was ignored): it gets advantage 0 and
 *   passes nothing backwards.
 * - `elapsed` (optional): the simulated seconds from step t's decision to the next observation's
 *   (`info.elapsed`). Given, `gamma` and `lambda` are per second: step t discounts what follows by
 *   `gamma ** elapsed` and passes `(gamma lambda) ** elapsed` of the next advantage back, so the
 *   discount depends on time, not on how many decisions fall in it (decisions at the same instant
 *   are not discounted against each other). Absent, they are per step (the paper's).
 * Returns advantages and returns (advantages + values).
 */
export function computeGae(args: {
  readonly steps: number;
  readonly envs: number;
  readonly rewards: Float32Array;
  readonly values: Float32Array;
  readonly nextValues: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly valid: Uint8Array;
  readonly gamma: number;
  readonly lambda: number;
  readonly elapsed?: Float64Array | Float32Array | undefined;
}): { advantages: Float32Array; returns: Float32Array } {
  const { steps: T, envs: k, rewards, values, nextValues, terminated, truncated, valid, gamma, lambda, elapsed } = args;
  const advantages = new Float32Array(T * k);
  const returns = new Float32Array(T * k);
  const gammaLambda = gamma * lambda;
  for (let i = 0; i < k; i++) {
    let nextAdvantage = 0;
    for (let t = T - 1; t >= 0; t--) {
      const idx = t * k + i;
      if (valid[idx] === 0) {
        nextAdvantage = 0;
        continue;
      }
      const nextValue = t === T - 1 ? (nextValues[i] as number) : (values[idx + k] as number);
      const ended = terminated[idx] === 1 || truncated[idx] === 1;
      const bootstrap = terminated[idx] === 1 ? 0 : nextValue;
      const dt = elapsed === undefined ? 1 : (elapsed[idx] as number);
      const discount = elapsed === undefined ? gamma : gamma ** dt;
      const trace = elapsed === undefined ? gammaLambda : gammaLambda ** dt;
      const delta = (rewards[idx] as number) + discount * bootstrap - (values[idx] as number);
      const advantage = delta + (ended ? 0 : trace * nextAdvantage);
      advantages[idx] = advantage;
      returns[idx] = advantage + (values[idx] as number);
      nextAdvantage = advantage;
    }
  }
  return { advantages, returns };
}
