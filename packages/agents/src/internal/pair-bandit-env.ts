import type { ObservationLike } from '@scale/model';
import { Rng } from '@scale/workload';
import type { VecEnvLike, VectorObservation } from '../types.js';

export interface PairBanditOptions {
  /** Servers per observation. */
  readonly servers: number;
  /** Most candidate tasks per observation; each step draws k in 1..candidates. */
  readonly candidates: number;
  /** Whether the last action is "defer" (pays `deferReward`). */
  readonly defer: boolean;
  readonly deferReward?: number;
  /** Global context width (constant values). */
  readonly globalFeatures?: number;
  /** Whether observations carry the pair feature (zeros). */
  readonly pairs?: boolean;
  /** Steps per episode (the optimal return). */
  readonly length?: number;
  readonly seed?: number;
  /** Simulated seconds each step reports as `info.elapsed`. */
  readonly elapsed?: number;
  /**
   * Relative frequencies of k = 1..candidates (default: uniform); e.g. the candidate counts of a
   * workload's decisions, for benchmarks.
   */
  readonly candidateWeights?: readonly number[];
}

/**
 * A contextual bandit in the task-and-server layout, for learning tests with a known optimum: each
 * step shows k candidate tasks (k drawn in 1..candidates) and n servers; one candidate has task
 * feature 0 set, one server has server feature 0 set, and choosing that pair pays 1 (defer pays
 * `deferReward`, anything else 0). Positions are drawn from a seeded stream, so the policy must read
 * the features, across padded k. Episodes of `length` steps; next-step autoreset like VectorEnv.
 */
export class PairBanditVecEnv implements VecEnvLike {
  readonly options: Required<PairBanditOptions>;
  private readonly rng: Rng;
  private current: ObservationLike[] = [];
  private best: { candidate: number; server: number }[] = [];
  private readonly t: number[];
  private readonly returns: number[];
  private readonly needsReset: boolean[];

  constructor(
    readonly numEnvs: number,
    options: PairBanditOptions,
  ) {
    this.options = { deferReward: 0.3, globalFeatures: 0, pairs: false, length: 4, seed: 0, elapsed: 1, candidateWeights: new Array<number>(options.candidates).fill(1), ...options };
    if (this.options.candidateWeights.length !== options.candidates) throw new RangeError(`candidateWeights: expected ${options.candidates} weights, received ${this.options.candidateWeights.length}`);
    this.rng = new Rng(this.options.seed).child('pair-bandit');
    this.t = new Array<number>(numEnvs).fill(0);
    this.returns = new Array<number>(numEnvs).fill(0);
    this.needsReset = new Array<boolean>(numEnvs).fill(false);
  }

  /** A fresh situation for every env; returns the packed observation (candidate 0's paper layout). */
  private draw(): VectorObservation {
    const { servers: n, defer, globalFeatures, pairs } = this.options;
    this.current = [];
    this.best = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const k = this.drawK();
      const best = { candidate: this.rng.int(0, k - 1), server: this.rng.int(0, n - 1) };
      const tasks = new Float32Array(k * 5);
      for (let c = 0; c < k; c++) {
        tasks[c * 5] = c === best.candidate ? 1 : 0;
        tasks[c * 5 + 1] = 0.5;
      }
      const servers = new Float32Array(n * 5);
      for (let j = 0; j < n; j++) {
        servers[j * 5] = j === best.server ? 1 : 0;
        servers[j * 5 + 1] = 1;
      }
      const obs: ObservationLike = {
        task: tasks.slice(0, 5),
        servers,
        mask: new Uint8Array(k * n + (defer ? 1 : 0)).fill(1),
        n,
        k,
        tasks,
        ...(pairs ? { pairs: new Float32Array(k * n) } : {}),
        ...(globalFeatures > 0 ? { global: new Float32Array(globalFeatures).fill(0.5) } : {}),
        defer,
      };
      this.current.push(obs);
      this.best.push(best);
    }
    const k = this.numEnvs;
    const task = new Float32Array(k * 5);
    const servers = new Float32Array(k * n * 5);
    this.current.forEach((obs, i) => {
      task.set(obs.task, i * 5);
      servers.set(obs.servers, i * n * 5);
    });
    return { task, servers, mask: new Uint8Array(k * n).fill(1), n: new Int32Array(k).fill(n), offsets: Int32Array.from({ length: k + 1 }, (_, i) => i * n), uniformN: n };
  }

  /** k in 1..candidates, by `candidateWeights`. */
  private drawK(): number {
    const weights = this.options.candidateWeights;
    let u = this.rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let k = 1; k <= weights.length; k++) {
      u -= weights[k - 1] as number;
      if (u < 0) return k;
    }
    return weights.length;
  }

  view(_obs: VectorObservation, i: number): ObservationLike {
    return this.current[i] as ObservationLike;
  }

  /** The best action (own index) of env i's current observation. */
  bestAction(i: number): number {
    const best = this.best[i] as { candidate: number; server: number };
    return best.candidate * this.options.servers + best.server;
  }

  reset(): { obs: VectorObservation } {
    this.t.fill(0);
    this.returns.fill(0);
    this.needsReset.fill(false);
    return { obs: this.draw() };
  }

  step(actions: ArrayLike<number>) {
    const k = this.numEnvs;
    const rewards = new Float64Array(k);
    const terminated = new Uint8Array(k);
    const truncated = new Uint8Array(k);
    const infos: { episode?: { return: number }; elapsed: number }[] = [];
    for (let i = 0; i < k; i++) {
      if (this.needsReset[i]) {
        this.needsReset[i] = false;
        this.t[i] = 0;
        this.returns[i] = 0;
        infos.push({ elapsed: 0 });
        continue;
      }
      const a = actions[i] as number;
      const obs = this.current[i] as ObservationLike;
      const reward = a === this.bestAction(i) ? 1 : obs.defer === true && a === obs.mask.length - 1 ? this.options.deferReward : 0;
      rewards[i] = reward;
      this.returns[i] = (this.returns[i] as number) + reward;
      this.t[i] = (this.t[i] as number) + 1;
      if (this.t[i] === this.options.length) {
        terminated[i] = 1;
        this.needsReset[i] = true;
        infos.push({ episode: { return: this.returns[i] as number }, elapsed: this.options.elapsed });
      } else infos.push({ elapsed: this.options.elapsed });
    }
    return { obs: this.draw(), rewards, terminated, truncated, infos };
  }
}
