import { ConfigError } from '@scale/workload';
import { DEFER, type Decision } from './decision.js';
import { SimulationStateError } from './errors.js';
import type { Policy } from './policy.js';
import { applyDecision, runEpisode } from './run.js';
import { Simulation } from './simulation.js';
import type { SimulationView } from './view.js';

/** How a `RolloutPolicy` looks ahead. */
export interface RolloutOptions {
  /**
   * Build the base policies (a fresh one per rollout: stateful policies belong to one run). Each
   * candidate is finished by every base and scored by the best of those runs; the first base's own
   * decision wins ties. One base is classic rollout; several, a rollout over their best.
   */
  readonly bases: readonly (() => Policy)[];
  /**
   * Ready tasks each decision considers: the first base's pick and the level-1 task, then the others
   * by compute, shortest first, up to this many in all. Each is tried on every idle server class that
   * fits it (the class's lowest idle id) and, under 'delays-start', on idle servers holding a parent.
   * Every base's own decision is a candidate too, whatever its task.
   */
  readonly tasks: number;
  /** Whether waiting for the next event is a candidate too. */
  readonly defer: boolean;
}

/**
 * One-step lookahead over base policies (rollout, Bertsekas, Tsitsiklis and Wu 1997; with several bases,
 * Bertsekas's rollout over their best): at every decision point each candidate decision is applied to a
 * fork of the simulation, every base policy runs a fork of that to its end, and the decision whose best
 * run ends with the smallest response-time area (the sum of every arrived task's response time,
 * unfinished ones counted up to the end) is taken; ties keep the first base's own decision. Every
 * base's own decision is a candidate.
 *
 * The forks hold the episode's future (arrivals, DAGs, failures), so this policy is **clairvoyant**: a
 * reference for how much better decisions than the base's could do on an episode, not a scheduler that
 * could run online. In a deterministic simulator it is never worse than any of its sequentially
 * consistent bases (whose decisions depend on the current state only, as the queue-order rules and the
 * level-1 server choosers): that base's own continuation is one of the runs of every step. It costs
 * about candidates x bases x remaining decisions base decisions per decision, quadratic in the
 * episode's length.
 *
 * It forks the simulation it is asked about, so it must be driven with a `Simulation` (`runEpisode`);
 * a bare `SimulationView` is refused with a `SimulationStateError`.
 */
export class RolloutPolicy implements Policy {
  private readonly decision = { task: -1, server: DEFER };
  private readonly candidateTasks: number[] = [];
  private readonly candidates: Decision[] = [];
  private scores: Float64Array = new Float64Array(0);
  /** Decision points with more than one candidate, and how many of those took another decision than the base's. */
  lookaheads = 0;
  departures = 0;

  constructor(
    readonly name: string,
    private readonly options: RolloutOptions,
  ) {
    if (!Number.isInteger(options.tasks) || options.tasks < 1) throw new ConfigError('rollout.tasks', 'an integer >= 1', options.tasks);
    if (options.bases.length === 0) throw new ConfigError('rollout.bases', 'at least one base policy', 0);
  }

  choose(sim: SimulationView): number {
    const decision = this.decide(sim);
    if (decision.task !== sim.task || decision.server === DEFER) {
      throw new SimulationStateError(`${this.name} picks the task and may wait: drive it with runEpisode, which calls decide()`);
    }
    return decision.server;
  }

  decide(view: SimulationView): Decision {
    if (!(view instanceof Simulation)) throw new SimulationStateError(`${this.name} looks ahead by forking the simulation: drive it with a Simulation`);
    const sim = view;
    const bases = this.options.bases;
    const base = baseDecision(sim, bases[0] as () => Policy);
    const candidates = this.enumerate(sim, base);
    for (let b = 1; b < bases.length; b++) addCandidate(candidates, baseDecision(sim, bases[b] as () => Policy));
    if (candidates.length === 1) return this.answer(base);
    this.lookaheads++;
    const scores = (this.scores = rolloutScores(sim, candidates, bases, this.scores));
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if ((scores[i] as number) < (scores[best] as number)) best = i;
    if (best !== 0) this.departures++;
    return this.answer(candidates[best] as Decision);
  }

  private answer(from: Decision): Decision {
    this.decision.task = from.task;
    this.decision.server = from.server;
    return this.decision;
  }

  /** The base's decision first, then every other candidate once. */
  private enumerate(sim: Simulation, base: Decision): Decision[] {
    const tasks = this.candidateTasks;
    tasks.length = 0;
    const largest = sim.largestIdleMemory();
    for (let i = 0; i < sim.readyTasks; i++) {
      const task = sim.readyTaskAt(i);
      if (sim.taskMemory(task) <= largest) tasks.push(task);
    }
    const first = [base.task === -1 || base.server === DEFER ? sim.task : base.task, sim.task];
    tasks.sort((a, b) => priority(first, a) - priority(first, b) || sim.taskCompute(a) - sim.taskCompute(b) || a - b);
    tasks.length = Math.min(tasks.length, this.options.tasks);
    const out = this.candidates;
    out.length = 0;
    out.push(base);
    const add = (task: number, server: number): void => addCandidate(out, { task, server });
    for (const task of tasks) {
      const memory = sim.taskMemory(task);
      for (let k = 0; k < sim.classCount; k++) {
        if (sim.classMemory(k) >= memory && sim.idleCountInClass(k) > 0) add(task, sim.firstIdleInClass(k));
      }
      if (sim.options.communication === 'delays-start') {
        for (let i = 0; i < sim.parentCount(task); i++) {
          const host = sim.taskServer(sim.parentAt(task, i));
          if (host >= 0 && sim.isIdle(host) && sim.serverMemory(host) >= memory) add(task, host);
        }
      }
    }
    if (this.options.defer && sim.canDefer()) add(sim.task, DEFER);
    return out;
  }
}

/**
 * Each candidate decision's rollout score at `sim`'s pending decision: the smallest response-time
 * area (every arrived task's response time summed, unfinished ones counted up to the end) among the
 * runs that apply it to a fork of `sim` and finish the fork with each base (a fresh base policy per
 * run). `sim` itself is not changed. Clairvoyant: the forks hold the episode's future. Writes into
 * `out` when it is long enough (`RolloutPolicy` reuses one), else into a new array.
 */
export function rolloutScores(sim: Simulation, candidates: readonly Decision[], bases: readonly (() => Policy)[], out?: Float64Array): Float64Array {
  const scores = out !== undefined && out.length >= candidates.length ? out : new Float64Array(candidates.length);
  candidates.forEach((candidate, i) => {
    const after = sim.fork();
    applyDecision(after, candidate);
    let best = Number.POSITIVE_INFINITY;
    for (let b = 0; b < bases.length; b++) {
      const fork = b + 1 === bases.length ? after : after.fork();
      best = Math.min(best, runEpisode(fork, (bases[b] as () => Policy)()).responseTimeArea);
    }
    scores[i] = best;
  });
  return scores;
}

/** A base policy's decision here (a copy: a policy may reuse its returned object). */
function baseDecision(sim: Simulation, build: () => Policy): Decision {
  const policy = build();
  if (policy.decide === undefined) return { task: sim.task, server: policy.choose(sim) };
  const d = policy.decide(sim);
  return { task: d.task, server: d.server };
}

/** Adds `decision` unless an equal one is there. */
function addCandidate(candidates: Decision[], decision: Decision): void {
  for (const c of candidates) if (c.task === decision.task && c.server === decision.server) return;
  candidates.push(decision);
}

/** 0 for the tasks `first` names (in its order), 2 for the others. */
function priority(first: readonly number[], task: number): number {
  const i = first.indexOf(task);
  return i < 0 ? 2 : i;
}
