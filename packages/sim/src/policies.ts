import { ConfigError, Rng } from '@scale/workload';
import type { SimulationView } from './view.js';

/**
 * A level-2 scheduling policy: given a pending decision (`sim.task` at `sim.now`), name a server.
 * Heuristics read the state through `SimulationView` only and always name a valid server; learned
 * agents drive `sim.act` through the env instead.
 */
export interface Policy {
  readonly name: string;
  choose(sim: SimulationView): number;
}

export const POLICY_NAMES = ['random', 'round-robin', 'fastest', 'eft', 'best-fit'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * Builds a heuristic by name (DESIGN.md section 3). `seed` feeds `random`'s own stream.
 * - `random`: uniform over valid servers.
 * - `round-robin`: the next valid server in id order after the last one chosen, wrapping around.
 * - `fastest`: largest compute among valid servers; ties to the lowest id.
 * - `eft`: earliest finish among valid servers (start, including transfer when it delays start, + c/C_j);
 *   equals `fastest` under reward-only communication; ties to the lowest id.
 * - `best-fit`: least memory that fits; ties by larger compute, then lowest id.
 */
export function makePolicy(name: PolicyName | string, options: { seed?: number } = {}): Policy {
  switch (name) {
    case 'random':
      return randomPolicy(options.seed ?? 0);
    case 'round-robin':
      return roundRobinPolicy();
    case 'fastest':
      return fastestPolicy;
    case 'eft':
      return eftPolicy;
    case 'best-fit':
      return bestFitPolicy;
    default:
      throw new ConfigError('policy', `one of ${POLICY_NAMES.join(', ')}`, name);
  }
}

function randomPolicy(seed: number): Policy {
  const rng = new Rng(seed).child('policy:random');
  return {
    name: 'random',
    choose(sim) {
      const memory = sim.taskMemory(sim.task);
      let valid = 0;
      for (let k = 0; k < sim.classCount; k++) if (sim.classMemory(k) >= memory) valid += sim.idleCountInClass(k);
      let pick = rng.int(0, valid - 1);
      for (let k = 0; k < sim.classCount; k++) {
        if (sim.classMemory(k) < memory) continue;
        const count = sim.idleCountInClass(k);
        if (pick < count) return sim.nthIdleInClass(k, pick);
        pick -= count;
      }
      return -1;
    },
  };
}

function roundRobinPolicy(): Policy {
  let cursor = 0;
  return {
    name: 'round-robin',
    choose(sim) {
      const memory = sim.taskMemory(sim.task);
      for (let pass = 0; pass < 2; pass++) {
        let j = sim.firstIdleFrom(pass === 0 ? cursor : 0);
        while (j >= 0 && (pass === 0 || j < cursor)) {
          if (sim.serverMemory(j) >= memory) {
            cursor = j + 1 >= sim.serverCount ? 0 : j + 1;
            return j;
          }
          j = sim.firstIdleFrom(j + 1);
        }
      }
      return -1;
    },
  };
}

/** Largest compute, then lowest id: one candidate per server class (its lowest idle id). */
const fastestPolicy: Policy = {
  name: 'fastest',
  choose(sim) {
    const memory = sim.taskMemory(sim.task);
    let best = -1;
    let bestCompute = -1;
    for (let k = 0; k < sim.classCount; k++) {
      if (sim.classMemory(k) < memory || sim.idleCountInClass(k) === 0) continue;
      const j = sim.firstIdleInClass(k);
      const compute = sim.classCompute(k);
      if (compute > bestCompute || (compute === bestCompute && j < best)) {
        best = j;
        bestCompute = compute;
      }
    }
    return best;
  },
};

/**
 * Earliest finish time. Within a class all servers share C_j, and a server hosting none of the task's
 * parents sees the latest data-ready time of the class; so the candidates are each class's lowest idle
 * server plus the idle servers hosting a parent.
 */
const eftPolicy: Policy = {
  name: 'eft',
  choose(sim) {
    if (sim.options.communication === 'reward-only') return fastestPolicy.choose(sim);
    const task = sim.task;
    const memory = sim.taskMemory(task);
    const compute = sim.taskCompute(task);
    const now = sim.now;
    let best = -1;
    let bestFinish = Number.POSITIVE_INFINITY;
    const consider = (j: number): void => {
      const finish = Math.max(now, sim.dataReadyTime(task, j)) + compute / sim.serverCompute(j);
      if (finish < bestFinish || (finish === bestFinish && j < best)) {
        best = j;
        bestFinish = finish;
      }
    };
    for (let k = 0; k < sim.classCount; k++) {
      if (sim.classMemory(k) >= memory && sim.idleCountInClass(k) > 0) consider(sim.firstIdleInClass(k));
    }
    for (let i = 0, parents = sim.parentCount(task); i < parents; i++) {
      const host = sim.taskServer(sim.parentAt(task, i));
      if (host >= 0 && sim.isValid(host)) consider(host);
    }
    return best;
  },
};

const bestFitPolicy: Policy = {
  name: 'best-fit',
  choose(sim) {
    const memory = sim.taskMemory(sim.task);
    let best = -1;
    let bestMemory = Number.POSITIVE_INFINITY;
    let bestCompute = -1;
    for (let k = 0; k < sim.classCount; k++) {
      const m = sim.classMemory(k);
      if (m < memory || sim.idleCountInClass(k) === 0) continue;
      const c = sim.classCompute(k);
      const j = sim.firstIdleInClass(k);
      if (m < bestMemory || (m === bestMemory && (c > bestCompute || (c === bestCompute && j < best)))) {
        best = j;
        bestMemory = m;
        bestCompute = c;
      }
    }
    return best;
  },
};
