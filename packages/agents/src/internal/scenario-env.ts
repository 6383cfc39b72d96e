import { SchedulingEnv } from '@scale/env';
import type { ObservationLike } from '@scale/model';
import type { VecEnvLike, VectorObservation } from '../types.js';

// Test support: issue 14's contract (response-time reward, task-and-server actions, defer,
// `info.elapsed`) on a scenario's simulation, for the learning tests. The env package's own
// implementation is what the CLI and the experiments use; this one drives the simulator's decision
// API directly so that the tests pin down what PPO learns, whatever the env's other options.

export interface ScenarioEnvOptions {
  /** A scenario file (explicit servers and workflows). */
  readonly scenario: string;
  /** Arrivals up to this time; episodes are drained (they end when every task is done). */
  readonly horizon: number;
  readonly actions: 'server' | 'task-and-server';
  readonly defer: boolean;
  /** Cap on candidate tasks (task-and-server). */
  readonly candidates?: number;
}

type Sim = SchedulingEnv['simulation'];

/** The paper's feature scales (the env's defaults). */
const SCALES = { cRef: 10, mRef: 80, succRef: 7, cMax: 4, mMax: 80, pMax: 400 } as const;

/**
 * One episode's state: its simulation, the candidates and the area under "arrived, unfinished tasks"
 * charged so far.
 */
class ScenarioEpisode {
  readonly sim: Sim;
  candidates: number[] = [];
  obs: ObservationLike;
  /** Area charged so far, and the time of the pending decision. */
  private charged = 0;
  private time = 0;
  episodeReturn = 0;

  constructor(
    env: SchedulingEnv,
    private readonly options: ScenarioEnvOptions,
  ) {
    env.reset({ seed: 0 });
    this.sim = env.simulation;
    this.obs = this.observe();
  }

  /** Total response time so far: the area under the number of arrived, unfinished tasks up to now. */
  private area(): number {
    const sim = this.sim;
    let total = 0;
    for (let w = 0; w < sim.workflowCount; w++) {
      const arrival = sim.workflowArrival(w);
      if (arrival > sim.now) continue;
      const first = sim.workflowFirstTask(w);
      for (let t = first; t < first + sim.workflowSize(w); t++) {
        const end = sim.taskEnd(t);
        total += (Number.isNaN(end) ? sim.now : Math.min(end, sim.now)) - arrival;
      }
    }
    return total;
  }

  /** Whether an event can still come (a busy server or a workflow still to arrive). */
  private eventAhead(): boolean {
    const sim = this.sim;
    for (let j = 0; j < sim.serverCount; j++) if (sim.isUp(j) && !sim.isIdle(j)) return true;
    for (let w = 0; w < sim.workflowCount; w++) if (sim.workflowArrival(w) > sim.now) return true;
    return false;
  }

  private observe(): ObservationLike {
    const sim = this.sim;
    const n = sim.serverCount;
    const taskAndServer = this.options.actions === 'task-and-server';
    this.candidates = [];
    if (sim.task >= 0) {
      if (taskAndServer) {
        for (let i = 0; i < sim.readyTasks && this.candidates.length < (this.options.candidates ?? 8); i++) {
          const t = sim.readyTaskAt(i);
          for (let j = 0; j < n; j++) {
            if (sim.isValidFor(t, j)) {
              this.candidates.push(t);
              break;
            }
          }
        }
      } else this.candidates.push(sim.task);
    }
    const k = Math.max(1, this.candidates.length);
    const tasks = new Float32Array(k * 5);
    this.candidates.forEach((t, c) => {
      tasks.set([sim.taskCompute(t) / SCALES.cRef, sim.taskMemory(t) / SCALES.mRef, sim.successorCount(t) / SCALES.succRef, sim.workflowProgress(sim.taskWorkflow(t)), sim.taskOutput(t)], c * 5);
    });
    const servers = new Float32Array(n * 5);
    for (let j = 0; j < n; j++) servers.set([sim.serverCompute(j) / SCALES.cMax, sim.serverMemory(j) / SCALES.mMax, sim.remainingTime(j), sim.power(j) / SCALES.pMax, 0], j * 5);
    const actions = (taskAndServer ? k * n : n) + (this.options.defer ? 1 : 0);
    const mask = new Uint8Array(actions);
    this.candidates.forEach((t, c) => {
      for (let j = 0; j < n; j++) mask[c * n + j] = sim.isValidFor(t, j) ? 1 : 0;
    });
    if (this.options.defer) mask[actions - 1] = sim.task >= 0 && this.eventAhead() ? 1 : 0;
    const base = { task: tasks.slice(0, 5), servers, mask, n, defer: this.options.defer };
    return taskAndServer ? { ...base, k, tasks } : base;
  }

  /** Takes action `a`; returns the reward, whether the episode ended, and the simulated seconds elapsed. */
  step(a: number): { reward: number; ended: boolean; terminated: boolean; elapsed: number } {
    const sim = this.sim;
    const n = sim.serverCount;
    if (this.obs.mask[a] !== 1) throw new RangeError(`action ${a} is masked`);
    if (this.options.defer && a === this.obs.mask.length - 1) sim.deferToNextEvent();
    else if (this.options.actions === 'task-and-server') sim.assignTask(this.candidates[Math.floor(a / n)] as number, a % n);
    else sim.assign(a);
    const more = sim.next();
    const area = this.area();
    const reward = -(area - this.charged);
    this.charged = area;
    const elapsed = sim.now - this.time;
    this.time = sim.now;
    this.episodeReturn += reward;
    this.obs = this.observe();
    return { reward, ended: !more, terminated: !more && sim.outcome === 'terminated', elapsed };
  }
}

/**
 * `numEnvs` copies of a scenario with next-step autoreset, in the VecEnvLike layout (`view` gives
 * the issue 14 observations; the packed arrays carry candidate 0's paper fields). The reward is minus
 * the area under the number of arrived, unfinished tasks between decisions (scale 1 s), so a drained
 * episode's rewards sum to minus its total response time.
 */
export class ScenarioVecEnv implements VecEnvLike {
  private episodes: ScenarioEpisode[] = [];
  private readonly needsReset: boolean[];

  constructor(
    readonly numEnvs: number,
    readonly options: ScenarioEnvOptions,
  ) {
    this.needsReset = new Array<boolean>(numEnvs).fill(false);
  }

  private episode(): ScenarioEpisode {
    return new ScenarioEpisode(new SchedulingEnv({ scenario: this.options.scenario, horizon: this.options.horizon, drain: true, invalidAction: 'mask' }), this.options);
  }

  private pack(): VectorObservation {
    const k = this.numEnvs;
    const n = (this.episodes[0] as ScenarioEpisode).obs.n;
    const task = new Float32Array(k * 5);
    const servers = new Float32Array(k * n * 5);
    this.episodes.forEach((e, i) => {
      task.set(e.obs.task, i * 5);
      servers.set(e.obs.servers, i * n * 5);
    });
    return { task, servers, mask: new Uint8Array(k * n), n: new Int32Array(k).fill(n), offsets: Int32Array.from({ length: k + 1 }, (_, i) => i * n), uniformN: n };
  }

  view(_obs: VectorObservation, i: number): ObservationLike {
    return (this.episodes[i] as ScenarioEpisode).obs;
  }

  /** Simulated time of env i's pending decision. */
  time(i: number): number {
    return (this.episodes[i] as ScenarioEpisode).sim.now;
  }

  reset(): { obs: VectorObservation } {
    this.episodes = Array.from({ length: this.numEnvs }, () => this.episode());
    this.needsReset.fill(false);
    return { obs: this.pack() };
  }

  step(actions: ArrayLike<number>) {
    const k = this.numEnvs;
    const rewards = new Float64Array(k);
    const terminated = new Uint8Array(k);
    const truncated = new Uint8Array(k);
    const infos: { episode?: { return: number; meanResponseTime: number }; elapsed: number }[] = [];
    for (let i = 0; i < k; i++) {
      if (this.needsReset[i]) {
        this.episodes[i] = this.episode();
        this.needsReset[i] = false;
        infos.push({ elapsed: 0 });
        continue;
      }
      const episode = this.episodes[i] as ScenarioEpisode;
      const result = episode.step(actions[i] as number);
      rewards[i] = result.reward;
      terminated[i] = result.terminated ? 1 : 0;
      truncated[i] = result.ended && !result.terminated ? 1 : 0;
      this.needsReset[i] = result.ended;
      infos.push(result.ended ? { episode: { return: episode.episodeReturn, meanResponseTime: episode.sim.metrics().meanResponseTime as number }, elapsed: result.elapsed } : { elapsed: result.elapsed });
    }
    return { obs: this.pack(), rewards, terminated, truncated, infos };
  }
}

/** One greedy episode of `choose` on the scenario: its mean response time and each decision's (observation, action). */
export function greedyEpisode(options: ScenarioEnvOptions, choose: (obs: ObservationLike) => number): { meanResponseTime: number; decisions: { obs: ObservationLike; action: number; time: number }[] } {
  const env = new ScenarioVecEnv(1, options);
  let packed = env.reset().obs;
  const decisions: { obs: ObservationLike; action: number; time: number }[] = [];
  for (;;) {
    const obs = env.view(packed, 0);
    const time = env.time(0);
    const action = choose(obs);
    decisions.push({ obs, action, time });
    const result = env.step([action]);
    packed = result.obs;
    const info = result.infos[0];
    if (info?.episode !== undefined) return { meanResponseTime: info.episode.meanResponseTime, decisions };
  }
}
