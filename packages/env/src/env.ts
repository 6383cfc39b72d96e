import { buildSimulation, type Assignment, type Metrics, type ScheduleTrace, type Simulation } from '@scale/sim';
import { ConfigError, Rng, type RngState } from '@scale/workload';
import { resolveEnvConfig, type EnvConfig, type EnvConfigInput } from './config.js';
import { ActionOutOfRangeError, ResetNeededError } from './errors.js';
import { Featurizer, type EnvLayout } from './featurizer.js';
import type { Observation } from './observation.js';
import { responseTimeParts, rewardParts, totalReward, type RewardParts } from './reward.js';
import { Discrete, ObservationSpace } from './spaces.js';

export interface StepInfo {
  /** Simulated time of the pending decision (or of the end). */
  readonly time: number;
  /**
   * Simulated seconds from the decision this step answered to this one (jumps with no valid server,
   * waits, defers and invalid-action delays included); 0 after reset. Per-second discounting uses
   * `gamma ** elapsed`.
   */
  readonly elapsed: number;
  /** Decisions taken this episode (valid and invalid). */
  readonly decisions: number;
  readonly invalidActions: number;
  /** Servers currently up (N). */
  readonly n: number;
  /** The reward's parts; all 0 after reset. */
  readonly rewardParts: RewardParts;
  /** The assignment this step made (null after an invalid choice or a reset). */
  readonly assignment: Assignment | null;
  /** The seed this episode's simulation was built from. */
  readonly episodeSeed: number;
  /** Only at an episode's end: the simulator's metrics and how it ended. */
  readonly episode?: Metrics & { readonly outcome: 'terminated' | 'truncated'; readonly decisions: number; readonly invalidActions: number; readonly deferrals: number; readonly return: number };
}

export interface ResetResult {
  readonly obs: Observation;
  readonly info: StepInfo;
}

export interface StepResult {
  readonly obs: Observation;
  readonly reward: number;
  /** The episode drained: every arrived task completed. */
  readonly terminated: boolean;
  /** Stopped by the horizon (training) or the drain limit. */
  readonly truncated: boolean;
  readonly info: StepInfo;
}

const NO_PARTS: RewardParts = { time: 0, communication: 0, energy: 0, invalid: 0 };

/** Settings fixed for an env's lifetime: `reset({ options })` cannot change them. */
const LAYOUT_KEYS = ['objective', 'responseTimeScale', 'observation', 'queueScales', 'actions', 'defer', 'candidates', 'candidateWindow'] as const;

/**
 * The scheduling MDP of DESIGN.md section 2 with Gymnasium's contract: `reset({ seed })` gives
 * `{ obs, info }`; `step(action)` gives `{ obs, reward, terminated, truncated, info }`. An action is
 * an index into the servers currently up (or, with `actions: 'task-and-server'` and `defer`, into the
 * layout `Featurizer` documents: A = k * N (+1)). `reset({ seed })` builds the episode from exactly that seed
 * (the same episode `scale-sim --seed` would simulate); `reset()` without one draws the next episode
 * seed from the env's own stream.
 */
export class SchedulingEnv {
  readonly config: EnvConfig;
  readonly observationSpace: ObservationSpace;
  /** The observation widths and action layout (model config fields). */
  readonly layout: EnvLayout;
  private readonly featurizer: Featurizer;
  private sim: Simulation | null = null;
  private upServers = new Int32Array(0);
  private n = 0;
  /** Actions in the current observation's mask (N with server actions, k N with task-and-server, +1 with defer). */
  private actionCount = 0;
  /** Response-time accounting: the area already charged, and the time of the last decision. */
  private charged = 0;
  private lastTime = 0;
  private over = true;
  private episodeSeed = 0;
  private episodeReturn = 0;
  private resetRng: Rng;
  private actionRng: Rng;
  /** Actions taken this episode, so a snapshot can rebuild it by replay. */
  private episodeActions: number[] = [];

  constructor(config: EnvConfigInput = {}) {
    this.config = resolveEnvConfig(config);
    this.resetRng = new Rng(this.config.seed).child('env:resets');
    this.actionRng = new Rng(this.config.seed).child('env:action-space');
    this.featurizer = new Featurizer(this.config);
    this.layout = this.featurizer.layout;
    this.observationSpace = new ObservationSpace(new Rng(this.config.seed).child('env:observation-space'), this.layout);
  }

  /** Discrete(A) over the current observation's actions (A = N in the paper's layout), sampling from the env's seeded action stream. */
  get actionSpace(): Discrete {
    return new Discrete(this.actionCount, this.actionRng);
  }

  /** The simulation of the current episode (read-only use: traces, metrics, analysis). */
  get simulation(): Simulation {
    if (this.sim === null) throw new ResetNeededError('not-reset');
    return this.sim;
  }

  /** Simulator id of the server behind action `a`. */
  serverOf(action: number): number {
    return this.upServers[action] as number;
  }

  reset(args: { seed?: number; options?: Partial<EnvConfigInput> } = {}): ResetResult {
    if (args.seed !== undefined) {
      if (!Number.isSafeInteger(args.seed) || args.seed < 0) throw new ConfigError('seed', `an integer from 0 to ${Number.MAX_SAFE_INTEGER}`, args.seed);
      this.episodeSeed = args.seed;
      this.resetRng = new Rng(args.seed).child('env:resets');
      this.actionRng = new Rng(args.seed).child('env:action-space');
    } else {
      this.episodeSeed = this.resetRng.int(0, 0x7fffffff);
    }
    if (args.options !== undefined) {
      // The layout and the objective are the env's (its spaces and featurizer are built from them).
      for (const key of LAYOUT_KEYS) {
        if (key in args.options) throw new ConfigError(`options.${key}`, 'no per-reset value (set it in the env config)', args.options[key]);
      }
    }
    // New servers in the options bring their own N (the env's resolved one belongs to its own servers).
    const base = args.options?.servers !== undefined && args.options.nodes === undefined ? { ...this.config, nodes: undefined } : this.config;
    const config = args.options === undefined ? this.config : resolveEnvConfig({ ...base, ...args.options } as EnvConfigInput);
    const {
      nodes,
      reward: _reward,
      features: _features,
      objective: _objective,
      responseTimeScale: _scale,
      observation: _observation,
      queueScales: _queueScales,
      actions: _actions,
      defer: _defer,
      candidates: _candidates,
      candidateWindow: _candidateWindow,
      ...simConfig
    } = config;
    const n = typeof nodes === 'number' ? nodes : new Rng(this.episodeSeed).child('env:nodes').pick(nodes);
    // The config was resolved once (construction, or these reset options): no parsing per episode.
    this.sim = buildSimulation({ ...simConfig, nodes: n, seed: this.episodeSeed });
    if (this.upServers.length < this.sim.serverCount) this.upServers = new Int32Array(this.sim.serverCount);
    this.episodeReturn = 0;
    this.episodeActions = [];
    this.featurizer.reset(this.sim);
    this.charged = 0;
    this.lastTime = 0;
    this.over = !this.sim.next();
    const obs = this.observe();
    this.lastTime = this.sim.now;
    return { obs, info: this.info(NO_PARTS, null, 0) };
  }

  step(action: number): StepResult {
    const sim = this.sim;
    if (sim === null) throw new ResetNeededError('not-reset');
    if (this.over) throw new ResetNeededError('episode-over');
    if (!Number.isInteger(action) || action < 0 || action >= this.actionCount) throw new ActionOutOfRangeError(action, this.actionCount);
    // Valid -> assign now (or defer to the next event); invalid -> penalize waits dt, mask mode throws InvalidActionError.
    let assignment: Assignment | null;
    let invalid: boolean;
    if (this.config.defer && action === this.actionCount - 1) {
      assignment = null;
      invalid = !sim.actDefer();
    } else if (this.config.actions === 'task-and-server') {
      const n = this.n;
      assignment = sim.actTask(this.featurizer.candidate(Math.floor(action / n)), this.upServers[action % n] as number);
      invalid = assignment === null;
    } else {
      assignment = sim.act(this.upServers[action] as number);
      invalid = assignment === null;
    }
    this.episodeActions.push(action);
    const more = sim.next();
    const parts = this.rewardOf(assignment, invalid);
    const reward = totalReward(parts);
    this.episodeReturn += reward;
    this.over = !more;
    const obs = this.observe();
    const terminated = !more && sim.outcome === 'terminated';
    const truncated = !more && sim.outcome === 'truncated';
    const elapsed = sim.now - this.lastTime;
    this.lastTime = sim.now;
    return { obs, reward, terminated, truncated, info: this.info(parts, assignment, elapsed) };
  }

  /**
   * The step's reward parts, once the simulation has reached the next decision (or the end). Paper:
   * eq. 2 for an assignment, r_invalid for an invalid choice, 0 for a defer. Response-time: minus the
   * area under the arrived, unfinished tasks since the area last charged, / responseTimeScale (plus
   * r_invalid for an invalid choice), so a drained episode's rewards sum to
   * -(sum of response times) / scale + r_invalid * invalid choices.
   */
  private rewardOf(assignment: Assignment | null, invalid: boolean): RewardParts {
    const config = this.config;
    if (config.objective === 'response-time') {
      const area = (this.sim as Simulation).responseTimeArea;
      const parts = responseTimeParts(area - this.charged, invalid, config.responseTimeScale, config.reward);
      this.charged = area;
      return parts;
    }
    if (assignment === null && !invalid) return NO_PARTS;
    return rewardParts(assignment, config.reward);
  }

  /**
   * The env's state as plain JSON: the episode's seed, the seed streams, and the actions taken so far.
   * The simulator is deterministic, so `restore` rebuilds the episode exactly by replaying them (training
   * checkpoints resume mid-episode this way). Episodes started with per-reset `options` are not covered.
   */
  snapshot(): EnvSnapshot {
    if (this.sim === null) throw new ResetNeededError('not-reset');
    return {
      episodeSeed: this.episodeSeed,
      resetRng: this.resetRng.getState(),
      actionRng: this.actionRng.getState(),
      actions: [...this.episodeActions],
    };
  }

  /** Rebuilds the state `snapshot()` described and returns the current observation and info. */
  restore(snapshot: EnvSnapshot): ResetResult {
    this.reset({ seed: snapshot.episodeSeed });
    let result: ResetResult = { obs: this.observe(), info: this.info(NO_PARTS, null, 0) };
    for (const action of snapshot.actions) {
      const step = this.step(action);
      result = { obs: step.obs, info: step.info };
    }
    this.resetRng = Rng.fromState(snapshot.resetRng);
    this.actionRng = Rng.fromState(snapshot.actionRng);
    return result;
  }

  /** Whether action `a` is a valid assignment (or defer) now: what `obs.mask[a]` says. */
  isValidAction(action: number): boolean {
    const sim = this.sim;
    if (sim === null || this.over || !Number.isInteger(action) || action < 0 || action >= this.actionCount) return false;
    if (this.config.defer && action === this.actionCount - 1) return sim.canDefer();
    if (this.config.actions === 'task-and-server') {
      const c = Math.floor(action / this.n);
      return c < this.featurizer.candidateCount && sim.isValidFor(this.featurizer.candidate(c), this.upServers[action % this.n] as number);
    }
    return sim.isValid(this.upServers[action] as number);
  }

  /** The task (global index) behind candidate `c` of the current observation (task-and-server actions). */
  candidateTask(c: number): number {
    return c >= 0 && c < this.featurizer.candidateCount ? this.featurizer.candidate(c) : -1;
  }

  /** The schedule trace of the current episode (DESIGN.md section 7). */
  trace(): ScheduleTrace {
    return this.simulation.trace({ seed: this.episodeSeed });
  }

  private observe(): Observation {
    const { obs, n } = this.featurizer.observe(this.sim as Simulation, this.upServers);
    this.n = n;
    this.actionCount = obs.mask.length;
    return obs;
  }

  private info(parts: RewardParts, assignment: Assignment | null, elapsed: number): StepInfo {
    const sim = this.sim as Simulation;
    const base = {
      time: sim.now,
      elapsed,
      decisions: sim.decisions,
      invalidActions: sim.invalidActions,
      n: this.n,
      rewardParts: parts,
      assignment,
      episodeSeed: this.episodeSeed,
    };
    if (!this.over) return base;
    const outcome: 'terminated' | 'truncated' = sim.outcome === 'terminated' ? 'terminated' : 'truncated';
    // Object.assign onto the fresh metrics object, not a spread: a spread would read the lazy headroom
    // bound, which training never needs.
    const episode = Object.assign(sim.metrics(), { outcome, decisions: sim.decisions, invalidActions: sim.invalidActions, deferrals: sim.deferrals, return: this.episodeReturn });
    return { ...base, episode };
  }
}

/** What `SchedulingEnv.snapshot()` records (JSON-serialisable). */
export interface EnvSnapshot {
  readonly episodeSeed: number;
  readonly resetRng: RngState;
  readonly actionRng: RngState;
  readonly actions: readonly number[];
}

/** Builds a scheduling env; config keys are the `scale-sim` flags in camelCase. */
export function makeEnv(config: EnvConfigInput = {}): SchedulingEnv {
  return new SchedulingEnv(config);
}
