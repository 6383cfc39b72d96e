import { ConfigError } from '@scale/workload';
import type { EnvConfigInput } from './config.js';
import { type EnvSnapshot, SchedulingEnv, type StepInfo } from './env.js';
import { ResetNeededError } from './errors.js';
import type { Observation } from './observation.js';

/**
 * k observations packed into flat arrays. Server rows of env i are rows offsets[i]..offsets[i+1]-1
 * of `servers` (and, in the paper's layout, entries of `mask`). When every env has the same N,
 * `uniformN` is that N and `servers` is a plain k x N x SF tensor. `task` holds each env's (candidate
 * 0's) task features. With issue 14's layouts (task-and-server, defer, queue-aware) the optional
 * fields carry the rest; `VectorEnv.view` reads any layout back.
 */
export interface VectorObservation {
  readonly task: Float32Array;
  readonly servers: Float32Array;
  readonly mask: Uint8Array;
  readonly n: Int32Array;
  readonly offsets: Int32Array;
  readonly uniformN: number | null;
  /** Env i's mask is entries maskOffsets[i]..maskOffsets[i+1]-1 of `mask` (present when a mask is not N long). */
  readonly maskOffsets?: Int32Array;
  /** Task-and-server: candidates per env; their rows in `tasks` (and k x N blocks in `pairs`) follow env order. */
  readonly k?: Int32Array;
  /** Task-and-server: every env's candidate rows (k_i x TF each), concatenated. */
  readonly tasks?: Float32Array;
  /** Task-and-server: every env's k_i x N_i transfer costs, concatenated. */
  readonly pairs?: Float32Array;
  /** Queue-aware: numEnvs x G global context. */
  readonly global?: Float32Array;
  /** With defer: each env's mask ends with the defer action. */
  readonly defer?: boolean;
}

export interface VectorStepResult {
  readonly obs: VectorObservation;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly infos: readonly StepInfo[];
}

/** What `VectorEnv.snapshot()` records. */
export interface VectorEnvSnapshot {
  readonly envs: readonly EnvSnapshot[];
  readonly needsReset: readonly boolean[];
  readonly lastEpisode: readonly (StepInfo['episode'] | undefined)[];
}

/**
 * k scheduling envs stepped together, with Gymnasium's next-step autoreset: when env i ends at step t,
 * step t returns its final observation and info (with `info.episode`); at step t+1 its action is
 * ignored, it resets, and it returns the first observation of the new episode with reward 0 and
 * neither flag set. `reset({ seed })` seeds env i with `seed + i`, as Gymnasium's vector envs do;
 * `resetSameSeed(seed)` seeds them all with `seed`, and `stepActive` holds the envs it is told to.
 */
export class VectorEnv {
  readonly envs: readonly SchedulingEnv[];
  /** The last finished episode's info of each env (kept across autoresets). */
  readonly lastEpisode: (StepInfo['episode'] | undefined)[];
  private readonly needsReset: boolean[];
  /** Each env's last observation and info, which `stepActive` returns again for an env it holds. */
  private readonly lastObs: Observation[];
  private readonly lastInfo: StepInfo[];

  constructor(
    readonly numEnvs: number,
    config: EnvConfigInput = {},
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new ConfigError('numEnvs', 'an integer >= 1', numEnvs);
    this.envs = Array.from({ length: numEnvs }, (_, i) => new SchedulingEnv({ ...config, seed: (config.seed ?? 0) + i }));
    this.needsReset = new Array<boolean>(numEnvs).fill(false);
    this.lastEpisode = new Array(numEnvs).fill(undefined);
    this.lastObs = new Array(numEnvs);
    this.lastInfo = new Array(numEnvs);
  }

  reset(args: { seed?: number } = {}): { obs: VectorObservation; infos: StepInfo[] } {
    return this.resetEach((i) => (args.seed === undefined ? {} : { seed: args.seed + i }));
  }

  /**
   * Resets every env with the same `seed` (Gymnasium's `reset(seed=[s] * k)`): k episodes of one
   * arrival sequence, which only the actions taken tell apart (the input-driven baseline's episodes).
   * Later autoresets draw from each env's own stream, as after `reset({ seed })`.
   */
  resetSameSeed(seed: number): { obs: VectorObservation; infos: StepInfo[] } {
    return this.resetEach(() => ({ seed }));
  }

  private resetEach(seedOf: (i: number) => { seed?: number }): { obs: VectorObservation; infos: StepInfo[] } {
    const results = this.envs.map((env, i) => env.reset(seedOf(i)));
    // An episode with no decision at all (no arrival) is over at reset: it resets again at the next step.
    results.forEach((r, i) => {
      this.needsReset[i] = r.info.episode !== undefined;
      this.lastObs[i] = r.obs;
      this.lastInfo[i] = r.info;
    });
    return { obs: pack(results.map((r) => r.obs)), infos: results.map((r) => r.info) };
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    return this.stepEach(actions, null);
  }

  /**
   * Steps only the envs with `active[i] = 1`; the others are held: not stepped and not autoreset,
   * their entry repeats their last observation and info (without `episode`) with reward 0 and
   * neither flag set. So envs that finished an episode can wait while the rest finish theirs. An
   * active env behaves as in `step` (an ended one autoresets).
   */
  stepActive(actions: ArrayLike<number>, active: ArrayLike<number>): VectorStepResult {
    if (active.length !== this.numEnvs) throw new ConfigError('active', `${this.numEnvs} flags, one per env`, active.length);
    return this.stepEach(actions, active);
  }

  private stepEach(actions: ArrayLike<number>, active: ArrayLike<number> | null): VectorStepResult {
    if (actions.length !== this.numEnvs) throw new ConfigError('actions', `${this.numEnvs} actions, one per env`, actions.length);
    const observations: Observation[] = [];
    const rewards = new Float64Array(this.numEnvs);
    const terminated = new Uint8Array(this.numEnvs);
    const truncated = new Uint8Array(this.numEnvs);
    const infos: StepInfo[] = [];
    this.envs.forEach((env, i) => {
      if (active !== null && active[i] !== 1) {
        const last = this.lastInfo[i];
        if (last === undefined) throw new ResetNeededError('not-reset');
        const { episode: _ended, ...info } = last;
        observations.push(this.lastObs[i] as Observation);
        infos.push(info);
        return;
      }
      if (this.needsReset[i]) {
        const { obs, info } = env.reset();
        this.needsReset[i] = info.episode !== undefined;
        observations.push(obs);
        infos.push(info);
        this.lastObs[i] = obs;
        this.lastInfo[i] = info;
        return;
      }
      const result = env.step(actions[i] as number);
      observations.push(result.obs);
      rewards[i] = result.reward;
      terminated[i] = result.terminated ? 1 : 0;
      truncated[i] = result.truncated ? 1 : 0;
      infos.push(result.info);
      this.lastObs[i] = result.obs;
      this.lastInfo[i] = result.info;
      if (result.terminated || result.truncated) {
        this.needsReset[i] = true;
        this.lastEpisode[i] = result.info.episode;
      }
    });
    return { obs: pack(observations), rewards, terminated, truncated, infos };
  }

  /** Every env's snapshot and the autoreset flags (JSON-serialisable), for training checkpoints. */
  snapshot(): VectorEnvSnapshot {
    return { envs: this.envs.map((env) => env.snapshot()), needsReset: [...this.needsReset], lastEpisode: [...this.lastEpisode] };
  }

  /** Rebuilds the state `snapshot()` described; returns the observation the next `step` acts on. */
  restore(snapshot: VectorEnvSnapshot): { obs: VectorObservation } {
    if (snapshot.envs.length !== this.numEnvs) throw new ConfigError('snapshot.envs', `${this.numEnvs} env snapshots`, snapshot.envs.length);
    const restored = this.envs.map((env, i) => env.restore(snapshot.envs[i] as EnvSnapshot));
    const observations = restored.map((r) => r.obs);
    restored.forEach((r, i) => {
      this.lastObs[i] = r.obs;
      this.lastInfo[i] = r.info;
    });
    snapshot.needsReset.forEach((flag, i) => {
      this.needsReset[i] = flag;
    });
    snapshot.lastEpisode.forEach((episode, i) => {
      this.lastEpisode[i] = episode;
    });
    return { obs: pack(observations) };
  }

  /** Env i's observation as views into the packed arrays (no copy; valid until they are reused). */
  static view(obs: VectorObservation, i: number): Observation {
    const envs = obs.n.length;
    const TF = obs.task.length / envs;
    const start = obs.offsets[i] as number;
    const end = obs.offsets[i + 1] as number;
    const total = obs.offsets[envs] as number;
    const SF = total > 0 ? obs.servers.length / total : 0;
    const n = end - start;
    const base = {
      task: obs.task.subarray(i * TF, (i + 1) * TF),
      servers: obs.servers.subarray(start * SF, end * SF),
      mask: obs.maskOffsets === undefined ? obs.mask.subarray(start, end) : obs.mask.subarray(obs.maskOffsets[i] as number, obs.maskOffsets[i + 1] as number),
      n,
    };
    if (obs.maskOffsets === undefined && obs.global === undefined) return base;
    let extended: Observation = base;
    if (obs.k !== undefined && obs.tasks !== undefined && obs.pairs !== undefined) {
      // Candidate rows and pair blocks of the envs before i.
      let rowsBefore = 0;
      let pairsBefore = 0;
      for (let e = 0; e < i; e++) {
        rowsBefore += obs.k[e] as number;
        pairsBefore += (obs.k[e] as number) * (obs.n[e] as number);
      }
      const k = obs.k[i] as number;
      extended = { ...extended, k, tasks: obs.tasks.subarray(rowsBefore * TF, (rowsBefore + k) * TF), pairs: obs.pairs.subarray(pairsBefore, pairsBefore + k * n) };
    }
    if (obs.global !== undefined) {
      const G = obs.global.length / envs;
      extended = { ...extended, global: obs.global.subarray(i * G, (i + 1) * G) };
    }
    return obs.defer === true ? { ...extended, defer: true } : extended;
  }

  /** Env i's observation out of a packed one (a copy). */
  static unpack(obs: VectorObservation, i: number): Observation {
    const view = VectorEnv.view(obs, i);
    const copy: Observation = { task: view.task.slice(), servers: view.servers.slice(), mask: view.mask.slice(), n: view.n };
    return {
      ...copy,
      ...(view.k === undefined ? {} : { k: view.k }),
      ...(view.tasks === undefined ? {} : { tasks: view.tasks.slice() }),
      ...(view.pairs === undefined ? {} : { pairs: view.pairs.slice() }),
      ...(view.global === undefined ? {} : { global: view.global.slice() }),
      ...(view.defer === true ? { defer: true } : {}),
    };
  }
}

function pack(observations: readonly Observation[]): VectorObservation {
  const k = observations.length;
  const first = observations[0] as Observation;
  const TF = first.task.length;
  const offsets = new Int32Array(k + 1);
  observations.forEach((o, i) => {
    offsets[i + 1] = (offsets[i] as number) + o.n;
  });
  const total = offsets[k] as number;
  // Every env of a VectorEnv shares one layout: the first non-empty observation gives the server width.
  const withServers = observations.find((o) => o.n > 0);
  const SF = withServers === undefined ? 0 : withServers.servers.length / withServers.n;
  const task = new Float32Array(k * TF);
  const servers = new Float32Array(total * SF);
  const n = new Int32Array(k);
  const extended = first.mask.length !== first.n || first.global !== undefined || first.k !== undefined || first.defer === true;
  observations.forEach((o, i) => {
    task.set(o.task, i * TF);
    servers.set(o.servers, (offsets[i] as number) * SF);
    n[i] = o.n;
  });
  const firstN = n[0] as number;
  const uniformN = n.every((x) => x === firstN) ? firstN : null;
  if (!extended) {
    const mask = new Uint8Array(total);
    observations.forEach((o, i) => {
      mask.set(o.mask, offsets[i] as number);
    });
    return { task, servers, mask, n, offsets, uniformN };
  }
  const maskOffsets = new Int32Array(k + 1);
  observations.forEach((o, i) => {
    maskOffsets[i + 1] = (maskOffsets[i] as number) + o.mask.length;
  });
  const mask = new Uint8Array(maskOffsets[k] as number);
  observations.forEach((o, i) => {
    mask.set(o.mask, maskOffsets[i] as number);
  });
  let packed: VectorObservation = { task, servers, mask, n, offsets, uniformN, maskOffsets };
  if (first.k !== undefined) {
    const ks = Int32Array.from(observations, (o) => o.k ?? 1);
    const tasks = new Float32Array(ks.reduce((sum, c) => sum + c, 0) * TF);
    const pairs = new Float32Array(observations.reduce((sum, o) => sum + (o.pairs?.length ?? 0), 0));
    let rows = 0;
    let pairAt = 0;
    for (const o of observations) {
      tasks.set(o.tasks ?? o.task, rows * TF);
      rows += o.k ?? 1;
      if (o.pairs !== undefined) pairs.set(o.pairs, pairAt);
      pairAt += o.pairs?.length ?? 0;
    }
    packed = { ...packed, k: ks, tasks, pairs };
  }
  if (first.global !== undefined) {
    const G = first.global.length;
    const global = new Float32Array(k * G);
    observations.forEach((o, i) => {
      if (o.global !== undefined) global.set(o.global, i * G);
    });
    packed = { ...packed, global };
  }
  return first.defer === true ? { ...packed, defer: true } : packed;
}
