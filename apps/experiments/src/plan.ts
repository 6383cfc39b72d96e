import { join } from 'node:path';
import type { EnvConfigInput } from '@scale/env';
import type { TrainConfigInput } from './train.js';

/** What `scale reproduce` can produce. `all` is every target except `real`, which needs `--workload`. */
export const REPRODUCE_TARGETS = ['table3', 'table4', 'table5', 'fig6', 'regimes', 'elastic', 'real', 'all'] as const;
export type ReproduceTarget = (typeof REPRODUCE_TARGETS)[number];

/** The paper's six methods (DESIGN.md section 1), in Table 3's order. */
export const PAPER_METHODS = ['scale', 'crossattn', 'ppo', 'ppo-srr', 'dqn', 'sac'] as const;
/** The methods Tables 4 and 5 compare (SRR on and off, cross-attention). */
export const ZERO_SHOT_METHODS = ['scale', 'crossattn'] as const;
/** Table 4's cluster sizes: the paper's 16 (training), 32 and 48, then ours. */
export const TABLE4_NODES = [16, 32, 48, 64, 128, 256, 1024] as const;
/** Table 4's heuristic rows. */
export const TABLE4_HEURISTICS = ['eft', 'fastest', 'round-robin', 'random'] as const;
/** The regime sweep's heuristics: Table 4's plus best-fit (tightest memory fit, the natural rival under memory pressure). */
export const REGIME_HEURISTICS = ['eft', 'fastest', 'best-fit', 'round-robin', 'random'] as const;
/** Cluster sizes of the regime sweep and the real-workflow comparison. */
export const REGIME_NODES = [16, 48] as const;
/** The elastic comparison: N=48, each server fails after an exponential time (mean `mtbf` s) and rejoins after `mttr` s on average. */
export const ELASTIC = { nodes: 48, failures: { mtbf: 60, mttr: 5 } } as const;

/**
 * Seconds of arrivals of a real-workflow episode. Real workflows are large (hundreds of GFLOP), so at
 * the simulator's default load of 0.75 only a few arrive in the paper's 100 s: 1,000 s brings about 500
 * tasks at N=16 (100 s with --quick).
 */
export const REAL_HORIZON = { full: 1000, quick: 100 } as const;

/** A training regime: env settings layered over DESIGN.md's defaults. `paper` is the defaults themselves. */
export interface Regime {
  readonly id: string;
  readonly label: string;
  readonly env: Omit<EnvConfigInput, 'nodes' | 'seed'>;
}

/**
 * Regimes where a scheduling choice may matter (the paper's may leave nothing to learn, DESIGN.md section 6).
 * Load multiplies `lambda_16 = 1.25`; memory pressure draws memory from Normal(24, 12) clipped to
 * [0.5, 64] GB, so about a quarter of the tasks fit only the large servers (80 GB) and the small
 * servers (8 GB) take few: there `eft`, which fills the large servers first, is no longer the best
 * heuristic (measured: best-fit, round-robin and random beat it); `delays-start` makes children wait
 * for their parents' data.
 */
export const REGIMES: readonly Regime[] = [
  { id: 'paper', label: 'load x1 (the paper: lambda_16 = 1.25)', env: {} },
  { id: 'load-1.25', label: 'load x1.25 (lambda_16 = 1.5625)', env: { lambda16: 1.5625 } },
  { id: 'load-1.5', label: 'load x1.5 (lambda_16 = 1.875)', env: { lambda16: 1.875 } },
  { id: 'memory', label: 'memory pressure (m ~ Normal(24, 12) in [0.5, 64] GB)', env: { generator: { memory: { mean: 24, sd: 12, min: 0.5, max: 64 } } } },
  { id: 'delays-start', label: 'communication delays start', env: { communication: 'delays-start' } },
];

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
export type EvaluatedPolicy = { readonly heuristic: string } | { readonly run: string; readonly method: string; readonly seed: number };

export interface EvaluateJob {
  readonly kind: 'evaluate';
  readonly id: string;
  /** The result file (relative to the out dir). */
  readonly file: string;
  readonly policy: EvaluatedPolicy;
  readonly env: Omit<EnvConfigInput, 'nodes' | 'seed'>;
  readonly nodes: number;
  readonly episodes: number;
  /** Gather the attention feature of every decision and report Table 5's statistics. */
  readonly features: boolean;
  /** Jobs that must finish first (the training run). */
  readonly after: readonly string[];
  readonly label: string;
}

export type Job = TrainJob | EvaluateJob;

/** Where a run or an evaluation lives: everything is keyed so that reruns and new targets reuse finished work. */
export function runDir(regime: string, method: string, seed: number): string {
  return join('runs', regime, `${method}-seed${seed}`);
}

export function evaluationFile(set: string, policy: string, nodes: number): string {
  return join('evaluations', set, `${policy}-n${nodes}.json`);
}

export function policyKey(policy: EvaluatedPolicy): string {
  return 'heuristic' in policy ? policy.heuristic : `${policy.method}-seed${policy.seed}`;
}

export interface PlanOptions {
  readonly targets: readonly Exclude<ReproduceTarget, 'all'>[];
  readonly seeds: readonly number[];
  readonly budget: Budget;
  readonly backend: string;
  /** `wfformat:PATH` for the `real` target. */
  readonly workload: string | null;
}

/** Collects jobs without duplicates (targets share runs and evaluations). */
class JobSet {
  readonly jobs = new Map<string, Job>();
  add(job: Job): string {
    if (!this.jobs.has(job.id)) this.jobs.set(job.id, job);
    return job.id;
  }
}

function horizonEnv(budget: Budget): Omit<EnvConfigInput, 'nodes' | 'seed'> {
  return budget.horizon === null ? {} : { horizon: budget.horizon };
}

/** The env settings of a regime under a budget (what training and evaluation both use). */
export function regimeEnv(regime: Regime, budget: Budget): Omit<EnvConfigInput, 'nodes' | 'seed'> {
  return { ...regime.env, ...horizonEnv(budget) };
}

function regimeById(id: string): Regime {
  const regime = REGIMES.find((r) => r.id === id);
  if (regime === undefined) throw new Error(`unknown regime ${id}`);
  return regime;
}

function trainJob(set: JobSet, options: PlanOptions, regime: Regime, method: string, seed: number): TrainJob {
  const dir = runDir(regime.id, method, seed);
  const job: TrainJob = {
    kind: 'train',
    id: `train:${dir}`,
    dir,
    label: `train ${method} seed ${seed}${regime.id === 'paper' ? '' : ` (${regime.id})`}`,
    config: { method, nodes: 16, seed, epochs: options.budget.epochs, backend: options.backend as TrainConfigInput['backend'], env: regimeEnv(regime, options.budget) },
  };
  set.add(job);
  return job;
}

function evaluateJob(
  set: JobSet,
  options: PlanOptions,
  args: { set: string; policy: EvaluatedPolicy; env: Omit<EnvConfigInput, 'nodes' | 'seed'>; nodes: number; after: readonly string[] },
): void {
  const key = policyKey(args.policy);
  const file = evaluationFile(args.set, key, args.nodes);
  const learned = 'run' in args.policy;
  set.add({
    kind: 'evaluate',
    id: `evaluate:${file}`,
    file,
    policy: args.policy,
    env: args.env,
    nodes: args.nodes,
    episodes: episodesAt(options.budget, args.nodes),
    // Cross-attention features are Table 5's; gathering them costs a copy of 16 floats per decision.
    features: learned && (ZERO_SHOT_METHODS as readonly string[]).includes((args.policy as { method: string }).method),
    after: args.after,
    label: `eval ${key} N=${args.nodes}${args.set === 'paper' ? '' : ` (${args.set})`}`,
  });
}

/** Trains the methods in a regime and evaluates them and the heuristics at the given N on the regime's env. */
function compare(
  set: JobSet,
  options: PlanOptions,
  args: { regime: Regime; methods: readonly string[]; heuristics: readonly string[]; nodes: readonly number[]; evaluationSet?: string; evaluationEnv?: Omit<EnvConfigInput, 'nodes' | 'seed'> },
): void {
  const env = { ...regimeEnv(args.regime, options.budget), ...(args.evaluationEnv ?? {}) };
  const evaluationSet = args.evaluationSet ?? args.regime.id;
  for (const nodes of args.nodes) {
    for (const heuristic of args.heuristics) evaluateJob(set, options, { set: evaluationSet, policy: { heuristic }, env, nodes, after: [] });
    for (const method of args.methods) {
      for (const seed of options.seeds) {
        const run = trainJob(set, options, args.regime, method, seed);
        evaluateJob(set, options, { set: evaluationSet, policy: { run: run.dir, method, seed }, env, nodes, after: [run.id] });
      }
    }
  }
}

/** Every job the targets need, in an order that finishes whole targets early (Table 3's N=16 runs first). */
export function planJobs(options: PlanOptions): Job[] {
  const set = new JobSet();
  const paper = regimeById('paper');
  const targets = new Set(options.targets);
  if (targets.has('table3') || targets.has('fig6')) {
    compare(set, options, { regime: paper, methods: PAPER_METHODS, heuristics: TABLE4_HEURISTICS, nodes: [16] });
  }
  if (targets.has('table4') || targets.has('table5')) {
    compare(set, options, { regime: paper, methods: ZERO_SHOT_METHODS, heuristics: TABLE4_HEURISTICS, nodes: TABLE4_NODES });
  }
  if (targets.has('elastic')) {
    compare(set, options, { regime: paper, methods: ZERO_SHOT_METHODS, heuristics: TABLE4_HEURISTICS, nodes: [ELASTIC.nodes] });
    compare(set, options, {
      regime: paper,
      methods: ZERO_SHOT_METHODS,
      heuristics: TABLE4_HEURISTICS,
      nodes: [ELASTIC.nodes],
      evaluationSet: 'elastic',
      evaluationEnv: { failures: ELASTIC.failures },
    });
  }
  if (targets.has('regimes')) {
    for (const regime of REGIMES) compare(set, options, { regime, methods: ZERO_SHOT_METHODS, heuristics: REGIME_HEURISTICS, nodes: REGIME_NODES });
  }
  if (targets.has('real')) {
    if (options.workload === null) throw new Error('real: needs --workload wfformat:PATH');
    compare(set, options, {
      regime: paper,
      methods: ZERO_SHOT_METHODS,
      heuristics: TABLE4_HEURISTICS,
      nodes: REGIME_NODES,
      evaluationSet: 'real',
      evaluationEnv: { workload: options.workload, horizon: options.budget.quick ? REAL_HORIZON.quick : REAL_HORIZON.full },
    });
  }
  return [...set.jobs.values()];
}
