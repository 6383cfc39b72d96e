import { POLICY_NAMES } from '@scale/sim';
import { ConfigError } from '@scale/workload';
import { join } from 'node:path';
import type { EnvConfigInput } from '@scale/env';
import type { TrainConfigInput } from './train-config.js';

/** The paper's six methods (DESIGN.md section 1), in Table 3's order. */
export const PAPER_METHODS = ['scale', 'crossattn', 'ppo', 'ppo-srr', 'dqn', 'sac'] as const;
/** The methods compared zero-shot (Tables 4 and 5 and the comparisons with heuristics): SRR on and off, cross-attention. */
export const ZERO_SHOT_METHODS = ['scale', 'crossattn'] as const;
/**
 * Every heuristic of `@scale/sim` (its `POLICY_NAMES`: the paper's four, best-fit, the classical list
 * and batch schedulers and the queue-order rules): the suite every table compares the learned methods with.
 */
export const HEURISTIC_SUITE: readonly string[] = POLICY_NAMES;

/** Env settings of a job: everything but the cluster size and the seed, which the job sets. */
export type JobEnv = Omit<EnvConfigInput, 'nodes' | 'seed'>;

/** A training regime: env settings layered over DESIGN.md's defaults. `paper` is the defaults themselves. */
export interface Regime {
  readonly id: string;
  readonly label: string;
  readonly env: JobEnv;
  /**
   * The regime's own servers at cluster size N (absent: the paper's 2:5:1 preset at N). A function of
   * N, not a list in `env`: a fixed list would be one size only, and the sim takes explicit servers
   * over `nodes`, so the evaluations at other N would run the training size under another label.
   */
  readonly cluster?: (nodes: number) => NonNullable<JobEnv['servers']>;
  /** PPO settings the runs of this regime train with (a setting probe of the exploration); absent = the defaults. */
  readonly ppo?: NonNullable<TrainConfigInput['ppo']>;
}

/** The paper's regime (DESIGN.md's defaults): Tables 3-5, Figure 6 and the elastic and real comparisons train here. */
export const PAPER_REGIME: Regime = { id: 'paper', label: 'load x1 (the paper: lambda_16 = 1.25)', env: {} };

/** How much work a reproduction does. `quick` is the same code path with tiny budgets (CI). */
export interface Budget {
  readonly quick: boolean;
  /** Training epochs per run (the paper: 1,000 x 1,024 env steps). */
  readonly epochs: number;
  /** Evaluation episodes per (policy, N) up to N = 256 (the paper: 30). */
  readonly episodes: number;
  /** Evaluation episodes at N > 256, where one drained episode of a learned policy takes minutes. */
  readonly largeEpisodes: number;
  /** Seconds of arrivals per episode (training and evaluation); null keeps DESIGN.md's 100 s. */
  readonly horizon: number | null;
}

export const FULL_BUDGET: Budget = { quick: false, epochs: 1000, episodes: 30, largeEpisodes: 5, horizon: null };
export const QUICK_BUDGET: Budget = { quick: true, epochs: 2, episodes: 2, largeEpisodes: 1, horizon: 10 };

/** The full or quick budget with `--epochs` and `--episodes` applied. */
export function resolveBudget(quick: boolean, epochs?: number, episodes?: number): Budget {
  const base = quick ? QUICK_BUDGET : FULL_BUDGET;
  const withEpisodes = episodes === undefined ? base : { ...base, episodes, largeEpisodes: Math.min(base.largeEpisodes, episodes) };
  return epochs === undefined ? withEpisodes : { ...withEpisodes, epochs };
}

/** Every run trains at the paper's N = 16; the other sizes are zero-shot. */
export const TRAINING_NODES = 16;

/** Training seeds: the paper's 42, then 43, 44, ... */
export function seedList(count: number): number[] {
  return Array.from({ length: count }, (_, k) => 42 + k);
}

export function episodesAt(budget: Budget, nodes: number): number {
  return nodes > 256 ? budget.largeEpisodes : budget.episodes;
}

export interface TrainJob {
  readonly kind: 'train';
  readonly id: string;
  /** The run directory (relative to the reproduction's out dir). */
  readonly dir: string;
  readonly config: TrainConfigInput;
  readonly label: string;
}

/** A policy to evaluate: a heuristic of `@scale/sim`, or the model of a training run (greedy). */
/**
 * A heuristic, or a trained run read out greedily (argmax, every paper table) or, with `mode: 'sample'`,
 * by sampling from its policy, reseeded at each episode from the episode's seed
 * (`new Rng(seed).child('eval:sample')`), so episode e's schedule depends on nothing but episode e.
 */
export type EvaluatedPolicy = { readonly heuristic: string } | { readonly run: string; readonly method: string; readonly seed: number; readonly mode?: 'sample' };

/** The name a sampled readout of `method` goes by in files and tables (`scale-rt-sample`). */
export function sampledReadout(method: string): string {
  return `${method}-sample`;
}

export interface EvaluateJob {
  readonly kind: 'evaluate';
  readonly id: string;
  /** The result file (relative to the out dir). */
  readonly file: string;
  readonly policy: EvaluatedPolicy;
  readonly env: JobEnv;
  readonly nodes: number;
  readonly episodes: number;
  /** Gather the attention feature of every decision and report Table 5's statistics. */
  readonly features: boolean;
  /** Jobs that must finish first (the training run). */
  readonly after: readonly string[];
  readonly label: string;
  /**
   * Episode seeds are `seedBase + e`; absent: `EVALUATION_SEED_BASE` (1,000,000). The confirmation
   * phase evaluates on fresh seeds (`CONFIRMATION_SEED_BASE`) that no exploration result has seen.
   */
  readonly seedBase?: number;
}

export type Job = TrainJob | EvaluateJob;

/** Episode seeds of the confirmation phase (`beyond`): 2,000,000 + e, never used by exploration or the paper's tables. */
export const CONFIRMATION_SEED_BASE = 2_000_000;

/** Where a run or an evaluation lives: everything is keyed so that reruns and new targets reuse finished work. */
export function runDir(regime: string, method: string, seed: number): string {
  return join('runs', regime, `${method}-seed${seed}`);
}

export function evaluationFile(set: string, policy: string, nodes: number): string {
  return join('evaluations', set, `${policy}-n${nodes}.json`);
}

export function policyKey(policy: EvaluatedPolicy): string {
  if ('heuristic' in policy) return policy.heuristic;
  return `${policy.mode === 'sample' ? sampledReadout(policy.method) : policy.method}-seed${policy.seed}`;
}

/** The env settings of a regime at N under a budget (what training and evaluation both use). */
export function regimeEnv(regime: Regime, budget: Budget, nodes: number): JobEnv {
  return { ...(regime.cluster === undefined ? {} : { servers: regime.cluster(nodes) }), ...regime.env, ...(budget.horizon === null ? {} : { horizon: budget.horizon }) };
}

/** Explicit servers must be the job's N: the sim would take them over `nodes` without a word. */
function checkServers(env: JobEnv, nodes: number, field: string): void {
  if (env.servers !== undefined && env.servers.length !== nodes) throw new ConfigError(`${field}.servers`, `${nodes} servers (the job's N)`, env.servers.length);
}

/** What every target plans with: the seeds, the budget, the backend and the real workflows (if given). */
export interface JobPlanOptions {
  readonly seeds: readonly number[];
  readonly budget: Budget;
  readonly backend: string;
  /** `wfformat:PATH` for the `real` target. */
  readonly workload: string | null;
}

/**
 * A clairvoyant reference evaluated beside a comparison's heuristics, at some of its N only: a
 * `rollout-...` policy of `@scale/sim`, whose cost grows with the square of an episode's decisions.
 */
export interface Lookahead {
  readonly policy: string;
  readonly nodes: readonly number[];
}

/** What `JobPlan.compare` trains and evaluates. */
export interface Comparison {
  /** The regime the methods train in (and, unless `evaluationEnv` says more, are evaluated in). */
  readonly regime: Regime;
  readonly methods: readonly string[];
  readonly heuristics: readonly string[];
  /** Cluster sizes of the evaluations (training is at N=16). */
  readonly nodes: readonly number[];
  /** The evaluation set's name (its folder under `evaluations/`); the regime's id by default. */
  readonly evaluationSet?: string;
  /** Env settings of the evaluations on top of the regime's. */
  readonly evaluationEnv?: JobEnv;
  /** Episode seeds `seedBase + e` (absent: 1,000,000 + e, as every paper table). */
  readonly seedBase?: number;
  /** Invalid actions in training and evaluation (absent: the paper's `penalize`). */
  readonly invalidAction?: 'penalize' | 'mask';
  /** Also read every learned policy out by sampling (`sampledReadout`), beside the greedy readout. */
  readonly sampled?: boolean;
  /** Also evaluate this clairvoyant reference (after the heuristics, at its N). */
  readonly lookahead?: Lookahead;
}

/**
 * The jobs of a reproduction, collected target by target without duplicates: targets share runs and
 * evaluations (a job's id is its output path), and the first target to plan a job fixes its place in
 * the order the pool runs them.
 */
export class JobPlan {
  private readonly planned = new Map<string, Job>();

  constructor(readonly options: JobPlanOptions) {}

  /** Trains the methods in a regime and evaluates them and the heuristics at the given N on the regime's env. */
  compare(comparison: Comparison): void {
    const set = comparison.evaluationSet ?? comparison.regime.id;
    for (const nodes of comparison.nodes) {
      const env = { ...regimeEnv(comparison.regime, this.options.budget, nodes), ...(comparison.evaluationEnv ?? {}) };
      const seedBase = comparison.seedBase;
      for (const heuristic of comparison.heuristics) this.evaluate({ set, policy: { heuristic }, env, nodes, after: [], seedBase });
      const lookahead = comparison.lookahead;
      if (lookahead?.nodes.includes(nodes)) this.evaluate({ set, policy: { heuristic: lookahead.policy }, env, nodes, after: [], seedBase });
      for (const method of comparison.methods) {
        for (const seed of this.options.seeds) {
          const run = this.train(comparison.regime, method, seed, comparison.invalidAction);
          this.evaluate({ set, policy: { run: run.dir, method, seed }, env, nodes, after: [run.id], seedBase });
          if (comparison.sampled === true) this.evaluate({ set, policy: { run: run.dir, method, seed, mode: 'sample' }, env, nodes, after: [run.id], seedBase });
        }
      }
    }
  }

  /** The planned jobs, in planning order. */
  jobs(): Job[] {
    return [...this.planned.values()];
  }

  private add(job: Job): void {
    if (!this.planned.has(job.id)) this.planned.set(job.id, job);
  }

  private train(regime: Regime, method: string, seed: number, invalidAction: 'penalize' | 'mask' | undefined): TrainJob {
    const { budget, backend } = this.options;
    const dir = runDir(regime.id, method, seed);
    const env = regimeEnv(regime, budget, TRAINING_NODES);
    checkServers(env, TRAINING_NODES, 'env');
    const job: TrainJob = {
      kind: 'train',
      id: `train:${dir}`,
      dir,
      label: `train ${method} seed ${seed}${regime.id === 'paper' ? '' : ` (${regime.id})`}`,
      config: {
        method,
        nodes: TRAINING_NODES,
        seed,
        epochs: budget.epochs,
        backend: backend as TrainConfigInput['backend'],
        env,
        ...(invalidAction === undefined ? {} : { invalidAction }),
        ...(regime.ppo === undefined ? {} : { ppo: regime.ppo }),
      },
    };
    this.add(job);
    return job;
  }

  private evaluate(args: { set: string; policy: EvaluatedPolicy; env: JobEnv; nodes: number; after: readonly string[]; seedBase: number | undefined }): void {
    const key = policyKey(args.policy);
    const file = evaluationFile(args.set, key, args.nodes);
    checkServers(args.env, args.nodes, `${file}: env`);
    this.add({
      kind: 'evaluate',
      id: `evaluate:${file}`,
      file,
      policy: args.policy,
      env: args.env,
      nodes: args.nodes,
      episodes: episodesAt(this.options.budget, args.nodes),
      // Cross-attention features are Table 5's; gathering them costs a copy of 16 floats per decision.
      features: 'run' in args.policy && args.policy.mode === undefined && (ZERO_SHOT_METHODS as readonly string[]).includes(args.policy.method),
      after: args.after,
      label: `eval ${key} N=${args.nodes}${args.set === 'paper' ? '' : ` (${args.set})`}`,
      ...(args.seedBase === undefined ? {} : { seedBase: args.seedBase }),
    });
  }
}
