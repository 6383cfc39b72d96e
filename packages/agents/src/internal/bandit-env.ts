import { VectorEnv } from '@scale/env';
import type { VecEnvLike, VectorObservation } from '../types.js';

/**
 * A contextual-free bandit in the scheduling layout, for learning tests with a known optimum: n
 * "servers" whose first feature is j / n, reward 1 for choosing `best` and 0 otherwise, episodes of
 * `length` steps (so the optimal return is `length`). `invalid` servers are masked out (mask mode)
 * and pay -1 when chosen. Next-step autoreset like VectorEnv.
 */
export class BanditVecEnv implements VecEnvLike {
  private readonly t: number[];
  private readonly returns: number[];
  private readonly needsReset: boolean[];

  constructor(
    readonly numEnvs: number,
    readonly n: number,
    readonly best: number,
    readonly length = 4,
    readonly invalid: readonly number[] = [],
  ) {
    this.t = new Array<number>(numEnvs).fill(0);
    this.returns = new Array<number>(numEnvs).fill(0);
    this.needsReset = new Array<boolean>(numEnvs).fill(false);
  }

  private observation(): VectorObservation {
    const k = this.numEnvs;
    const n = this.n;
    const servers = new Float32Array(k * n * 5);
    const mask = new Uint8Array(k * n).fill(1);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < n; j++) {
        servers[(i * n + j) * 5] = j / n;
        servers[(i * n + j) * 5 + 1] = 1;
        if (this.invalid.includes(j)) mask[i * n + j] = 0;
      }
    }
    return {
      task: new Float32Array(k * 5).fill(0.5),
      servers,
      mask,
      n: new Int32Array(k).fill(n),
      offsets: Int32Array.from({ length: k + 1 }, (_, i) => i * n),
      uniformN: n,
    };
  }

  reset(): { obs: VectorObservation } {
    this.t.fill(0);
    this.returns.fill(0);
    this.needsReset.fill(false);
    return { obs: this.observation() };
  }

  step(actions: ArrayLike<number>) {
    const k = this.numEnvs;
    const rewards = new Float64Array(k);
    const terminated = new Uint8Array(k);
    const truncated = new Uint8Array(k);
    const infos: { episode?: { return: number } }[] = [];
    for (let i = 0; i < k; i++) {
      if (this.needsReset[i]) {
        this.needsReset[i] = false;
        this.t[i] = 0;
        this.returns[i] = 0;
        infos.push({});
        continue;
      }
      const a = actions[i] as number;
      const reward = this.invalid.includes(a) ? -1 : a === this.best ? 1 : 0;
      rewards[i] = reward;
      this.returns[i] = (this.returns[i] as number) + reward;
      this.t[i] = (this.t[i] as number) + 1;
      if (this.t[i] === this.length) {
        terminated[i] = 1;
        this.needsReset[i] = true;
        infos.push({ episode: { return: this.returns[i] as number } });
      } else infos.push({});
    }
    return { obs: this.observation(), rewards, terminated, truncated, infos };
  }
}

/** Mean return of `episodes` greedy episodes of `agent` on a fresh bandit like `env`. */
export function greedyBanditReturn(agent: { act(obs: readonly import('@scale/model').ObservationLike[], options?: { deterministic?: boolean }): Int32Array }, env: BanditVecEnv, episodes = 4): number {
  const evalEnv = new BanditVecEnv(1, env.n, env.best, env.length, env.invalid);
  let obs = evalEnv.reset().obs;
  let total = 0;
  let finished = 0;
  while (finished < episodes) {
    const result = evalEnv.step(agent.act([VectorEnv.view(obs, 0)], { deterministic: true }));
    total += result.rewards[0] as number;
    if (result.terminated[0] === 1) {
      finished += 1;
      obs = evalEnv.step([0]).obs; // the autoreset step
    } else obs = result.obs;
  }
  return total / episodes;
}
