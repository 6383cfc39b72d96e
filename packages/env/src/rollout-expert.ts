import { DEFER, type Decision, makePolicy, POLICY_NAMES, type Policy, rolloutScores, type Simulation } from '@scale/sim';
import { ConfigError } from '@scale/workload';
import type { SchedulingEnv } from './env.js';
import type { Observation } from './observation.js';

/** What a `RolloutExpert` says about the env's pending decision. */
export interface ExpertLabel {
  /** The action it takes: the best-scoring one, ties to the lowest index; -1 when no action is valid. */
  readonly action: number;
  /**
   * One entry per action of the observation, 1 for every action as good as `action`: each scored
   * action within `SCORE_TOLERANCE` of the best score, with the valid actions it stands for (the
   * same candidate on another server of its group). What an imitation loss should accept.
   */
  readonly optimal: Uint8Array;
  /** Distinct actions scored (0 or 1: there was nothing to look ahead on). */
  readonly scored: number;
}

export interface RolloutExpertOptions {
  /** Heuristics of `@scale/sim` (`POLICY_NAMES`) that finish every try; each try scores its best finish. */
  readonly bases: readonly string[];
  /** The config field `bases` came from, named by a refusal (default `expert.bases`). */
  readonly field?: string;
}

/**
 * Relative difference below which two scores count as equal: different decisions can give the same
 * schedule with its events summed in another order.
 */
export const SCORE_TOLERANCE = 1e-9;

/**
 * A teacher for imitation learning: `@scale/sim`'s one-step rollout (`rolloutScores`) over the
 * env's own action space. At the env's pending decision it tries each distinct valid action on a fork
 * of the episode (each candidate task on one server of each group, and waiting when it is valid),
 * finishes every fork with each base heuristic, and labels the action whose best finish has the
 * lowest total response time.
 *
 * A group is the valid servers of one server class (identical compute, memory and power, so identical
 * features when idle; the rollout tries the first); under `delays-start`, a server holding one of the
 * task's parents is a group of its own (the transfer it saves is its own). Under failures, two
 * servers of a class can differ in when they fail next; the expert does not tell them apart.
 *
 * The forks hold the episode's future (arrivals, DAGs, failures), so the expert is **clairvoyant**:
 * it can label states for training but could not schedule online. A label costs about
 * (candidates x groups + 1) x bases runs of the rest of the episode (about 10 ms at N = 16 on the
 * paper's workload; `pnpm --filter @scale/sim bench:rollout` measures the rollout itself).
 */
export class RolloutExpert {
  private readonly bases: readonly (() => Policy)[];

  constructor(options: RolloutExpertOptions) {
    const field = options.field ?? 'expert.bases';
    if (options.bases.length === 0) throw new ConfigError(field, `at least one of ${POLICY_NAMES.join(', ')}`, '[]');
    for (const name of options.bases) {
      if (!(POLICY_NAMES as readonly string[]).includes(name)) throw new ConfigError(field, `heuristics from ${POLICY_NAMES.join(', ')}`, name);
    }
    this.bases = options.bases.map((name) => () => makePolicy(name));
  }

  /**
   * The expert behind a vector env (what `@scale/agents`' DAgger takes as its `expert`): `label(i, obs)`
   * labels env i's pending decision, `obs` being its current observation.
   */
  forEnvs(vector: { readonly envs: readonly SchedulingEnv[] }): { label(env: number, obs: Observation): ExpertLabel } {
    return { label: (i, obs) => this.label(vector.envs[i] as SchedulingEnv, obs) };
  }

  /** The label of `env`'s pending decision; `obs` is the observation `env` gave for it (its last). */
  label(env: SchedulingEnv, obs: Observation): ExpertLabel {
    const sim = env.simulation;
    const { n, mask } = obs;
    const k = obs.k ?? 1;
    const deferAction = obs.defer === true ? mask.length - 1 : -1;
    // Each valid action's group (candidate c, server group), and the first action of each group.
    const group = new Int32Array(mask.length).fill(-1);
    const representatives: number[] = [];
    const decisions: Decision[] = [];
    const keys = new Map<string, number>();
    for (let c = 0; c < k; c++) {
      const task = obs.k === undefined ? sim.task : env.candidateTask(c);
      for (let j = 0; j < n; j++) {
        const a = c * n + j;
        if (mask[a] !== 1) continue;
        const server = env.serverOf(j);
        const key = `${c}:${groupOf(sim, task, server)}`;
        let g = keys.get(key);
        if (g === undefined) {
          g = representatives.length;
          keys.set(key, g);
          representatives.push(a);
          decisions.push({ task, server });
        }
        group[a] = g;
      }
    }
    if (deferAction >= 0 && mask[deferAction] === 1) {
      group[deferAction] = representatives.length;
      representatives.push(deferAction);
      decisions.push({ task: sim.task, server: DEFER });
    }
    const optimal = new Uint8Array(mask.length);
    if (representatives.length <= 1) {
      for (let a = 0; a < mask.length; a++) if (group[a] === 0) optimal[a] = 1;
      return { action: representatives[0] ?? -1, optimal, scored: representatives.length };
    }
    const scores = rolloutScores(sim, decisions, this.bases);
    let best = 0;
    for (let g = 1; g < scores.length; g++) if ((scores[g] as number) < (scores[best] as number)) best = g;
    const bestScore = scores[best] as number;
    const limit = bestScore + SCORE_TOLERANCE * Math.abs(bestScore);
    for (let a = 0; a < mask.length; a++) {
      const g = group[a] as number;
      if (g >= 0 && (scores[g] as number) <= limit) optimal[a] = 1;
    }
    return { action: representatives[best] as number, optimal, scored: representatives.length };
  }
}

/** A server's group for a task: its class, or (under delays-start) itself when it holds one of the task's parents. */
function groupOf(sim: Simulation, task: number, server: number): string {
  if (sim.options.communication === 'delays-start') {
    for (let i = 0; i < sim.parentCount(task); i++) if (sim.taskServer(sim.parentAt(task, i)) === server) return `s${server}`;
  }
  return `c${sim.serverClass(server)}`;
}
