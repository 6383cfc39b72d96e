import { ConfigError } from '@scale/workload';
import type { EnvConfigInput } from './config.js';
import { type EnvSnapshot, SchedulingEnv, type StepInfo } from './env.js';
import { SERVER_FEATURES, TASK_FEATURES, type Observation } from './observation.js';

/**
 * k observations packed into flat arrays. Server rows of env i are rows offsets[i]..offsets[i+1]-1
 * of `servers` (and entries of `mask`). When every env has the same N, `uniformN` is that N and
 * `servers` is a plain k x N x 5 tensor.
 */
export interface VectorObservation {
  readonly task: Float32Array;
  readonly servers: Float32Array;
  readonly mask: Uint8Array;
  readonly n: Int32Array;
  readonly offsets: Int32Array;
  readonly uniformN: number | null;
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
 * neither flag set. `reset({ seed })` seeds env i with `seed + i`, as Gymnasium's vector envs do.
 */
export class VectorEnv {
  readonly envs: readonly SchedulingEnv[];
  /** The last finished episode's info of each env (kept across autoresets). */
  readonly lastEpisode: (StepInfo['episode'] | undefined)[];
  private readonly needsReset: boolean[];

  constructor(
    readonly numEnvs: number,
    config: EnvConfigInput = {},
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new ConfigError('numEnvs', 'an integer >= 1', numEnvs);
    this.envs = Array.from({ length: numEnvs }, (_, i) => new SchedulingEnv({ ...config, seed: (config.seed ?? 0) + i }));
    this.needsReset = new Array<boolean>(numEnvs).fill(false);
    this.lastEpisode = new Array(numEnvs).fill(undefined);
  }

  reset(args: { seed?: number } = {}): { obs: VectorObservation; infos: StepInfo[] } {
    const results = this.envs.map((env, i) => env.reset(args.seed === undefined ? {} : { seed: args.seed + i }));
    // An episode with no decision at all (no arrival) is over at reset: it resets again at the next step.
    results.forEach((r, i) => {
      this.needsReset[i] = r.info.episode !== undefined;
    });
    return { obs: pack(results.map((r) => r.obs)), infos: results.map((r) => r.info) };
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    if (actions.length !== this.numEnvs) throw new ConfigError('actions', `${this.numEnvs} actions, one per env`, actions.length);
    const observations: Observation[] = [];
    const rewards = new Float64Array(this.numEnvs);
    const terminated = new Uint8Array(this.numEnvs);
    const truncated = new Uint8Array(this.numEnvs);
    const infos: StepInfo[] = [];
    this.envs.forEach((env, i) => {
      if (this.needsReset[i]) {
        const { obs, info } = env.reset();
        this.needsReset[i] = info.episode !== undefined;
        observations.push(obs);
        infos.push(info);
        return;
      }
      const result = env.step(actions[i] as number);
      observations.push(result.obs);
      rewards[i] = result.reward;
      terminated[i] = result.terminated ? 1 : 0;
      truncated[i] = result.truncated ? 1 : 0;
      infos.push(result.info);
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
    const observations = this.envs.map((env, i) => env.restore(snapshot.envs[i] as EnvSnapshot).obs);
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
    const start = obs.offsets[i] as number;
    const end = obs.offsets[i + 1] as number;
    return {
      task: obs.task.subarray(i * TASK_FEATURES, (i + 1) * TASK_FEATURES),
      servers: obs.servers.subarray(start * SERVER_FEATURES, end * SERVER_FEATURES),
      mask: obs.mask.subarray(start, end),
      n: end - start,
    };
  }

  /** Env i's observation out of a packed one (a copy). */
  static unpack(obs: VectorObservation, i: number): Observation {
    const view = VectorEnv.view(obs, i);
    return { task: view.task.slice(), servers: view.servers.slice(), mask: view.mask.slice(), n: view.n };
  }
}

function pack(observations: readonly Observation[]): VectorObservation {
  const k = observations.length;
  const offsets = new Int32Array(k + 1);
  observations.forEach((o, i) => {
    offsets[i + 1] = (offsets[i] as number) + o.n;
  });
  const total = offsets[k] as number;
  const task = new Float32Array(k * TASK_FEATURES);
  const servers = new Float32Array(total * SERVER_FEATURES);
  const mask = new Uint8Array(total);
  const n = new Int32Array(k);
  observations.forEach((o, i) => {
    task.set(o.task, i * TASK_FEATURES);
    servers.set(o.servers, (offsets[i] as number) * SERVER_FEATURES);
    mask.set(o.mask, offsets[i] as number);
    n[i] = o.n;
  });
  const first = n[0] as number;
  return { task, servers, mask, n, offsets, uniformN: n.every((x) => x === first) ? first : null };
}
