import { type EnvConfigInput, EnvConfigSchema, type Observation, SchedulingEnv } from '@scale/env';
import { createSimulation, type Metrics, makePolicy, runEpisode, SimConfigSchema, type SimConfigInput } from '@scale/sim';
import { type Summary, summarize } from './statistics.js';

/** Evaluation episodes use seeds `EVALUATION_SEED_BASE + e`, never seen in training (which starts at the run's seed). */
export const EVALUATION_SEED_BASE = 1_000_000;

export interface EpisodeResult {
  readonly seed: number;
  readonly nodes: number;
  readonly meanResponseTime: number;
  readonly p95ResponseTime: number;
  readonly completedTasks: number;
  readonly arrivedTasks: number;
  readonly utilization: number;
  /**
   * Decisions the policy made and how many of them chose an invalid action (penalize mode: each
   * costs r_invalid and dt of clock). Heuristics choose only valid actions: 0. Absent from evaluation
   * files written before they were recorded.
   */
  readonly decisions?: number;
  readonly invalidActions?: number;
  /**
   * The episode's headroom bound (`Metrics.meanResponseTimeBound`): no schedule that completes every
   * task has a lower mean response time. Absent from evaluation files written before it was recorded.
   */
  readonly bound?: number;
  /**
   * Times the policy held a decision until the next event (`defer` actions): recorded only for learned
   * policies whose env offers defer.
   */
  readonly deferrals?: number;
}

export interface EvaluationSummary {
  readonly policy: string;
  readonly nodes: number;
  readonly episodes: readonly EpisodeResult[];
  readonly meanResponseTime: Summary;
  readonly p95ResponseTime: Summary;
  readonly completedTasks: Summary;
  /** Per episode (absent from evaluation files written before they were recorded). */
  readonly decisions?: Summary;
  readonly invalidActions?: Summary;
}

export interface EvaluationSetup {
  /** The env/sim config of the run (workload, horizon, modes); `nodes` and `seed` are set here. */
  readonly env: Omit<EnvConfigInput, 'nodes' | 'seed'>;
  readonly nodes: number;
  readonly episodes: number;
  /** Episode e has seed `seedBase + e` (default `EVALUATION_SEED_BASE`). */
  readonly seedBase?: number;
  /** Called before each episode of a learned policy with its seed (a sampling policy reseeds). */
  readonly onReset?: (seed: number) => void;
  /** Called after each episode (progress). */
  readonly onEpisode?: (done: number, total: number) => void;
}

/** The per-episode figures the tables use, from the simulator's metrics. */
function episodeResult(seed: number, nodes: number, m: Metrics, decisions: number, invalidActions: number): EpisodeResult {
  return {
    seed,
    nodes,
    meanResponseTime: m.meanResponseTime ?? Number.NaN,
    p95ResponseTime: m.p95ResponseTime ?? Number.NaN,
    completedTasks: m.completedTasks,
    arrivedTasks: m.arrivedTasks,
    utilization: m.utilization,
    decisions,
    invalidActions,
    bound: m.meanResponseTimeBound ?? Number.NaN,
  };
}

/** An evaluation's summary: its episodes and the summaries of their figures. */
export function summarizeEpisodes(policy: string, nodes: number, episodes: EpisodeResult[]): EvaluationSummary {
  return {
    policy,
    nodes,
    episodes,
    meanResponseTime: summarize(episodes.map((e) => e.meanResponseTime)),
    p95ResponseTime: summarize(episodes.map((e) => e.p95ResponseTime)),
    completedTasks: summarize(episodes.map((e) => e.completedTasks)),
    decisions: summarize(episodes.map((e) => e.decisions ?? Number.NaN)),
    invalidActions: summarize(episodes.map((e) => e.invalidActions ?? Number.NaN)),
  };
}

/** Evaluation runs drained episodes: every arrived task completes, so response times are comparable. */
function drained(setup: EvaluationSetup): EnvConfigInput {
  return { ...setup.env, nodes: setup.nodes, drain: true };
}

/** A heuristic from `@scale/sim` on the same episodes (same seeds) the learned policies see. */
export function evaluateHeuristic(name: string, setup: EvaluationSetup): EvaluationSummary {
  // The simulator's settings only: the env's own (reward, features, objective, observation, actions...) shape what a learned policy sees, not the episode.
  const env = drained(setup) as Record<string, unknown>;
  // A key of neither schema passes through, so the simulator's parser names it.
  const simConfig = Object.fromEntries(Object.entries(env).filter(([key]) => key in SimConfigSchema.shape || !(key in EnvConfigSchema.shape)));
  const episodes: EpisodeResult[] = [];
  for (let e = 0; e < setup.episodes; e++) {
    const seed = (setup.seedBase ?? EVALUATION_SEED_BASE) + e;
    const sim = createSimulation({ ...(simConfig as SimConfigInput), nodes: setup.nodes, seed });
    runEpisode(sim, makePolicy(name, { seed }));
    episodes.push(episodeResult(seed, setup.nodes, sim.metrics(), sim.decisions, sim.invalidActions));
    setup.onEpisode?.(e + 1, setup.episodes);
  }
  return summarizeEpisodes(name, setup.nodes, episodes);
}

/** Chooses an action index for an observation (a trained network: `policyFromNetwork(...).act` from `@scale/agents`). */
export type Chooser = (obs: Observation) => number;

/** A learned policy on the evaluation episodes (the same seeds as `evaluateHeuristic`). */
export function evaluateChooser(name: string, choose: Chooser, setup: EvaluationSetup): EvaluationSummary {
  const env = new SchedulingEnv(drained(setup));
  const episodes: EpisodeResult[] = [];
  for (let e = 0; e < setup.episodes; e++) {
    const seed = (setup.seedBase ?? EVALUATION_SEED_BASE) + e;
    setup.onReset?.(seed);
    const start = env.reset({ seed });
    let obs = start.obs;
    let info = start.info;
    // An episode with no decision ends at reset.
    for (let over = info.episode !== undefined; ; ) {
      if (!over) {
        const step = env.step(choose(obs));
        obs = step.obs;
        info = step.info;
        over = step.terminated || step.truncated;
      }
      if (over) {
        const m = info.episode;
        if (m === undefined) throw new Error('episode ended without metrics');
        const result = episodeResult(seed, setup.nodes, m, m.decisions, m.invalidActions);
        episodes.push(env.layout.defer ? { ...result, deferrals: m.deferrals } : result);
        setup.onEpisode?.(e + 1, setup.episodes);
        break;
      }
    }
  }
  return summarizeEpisodes(name, setup.nodes, episodes);
}
