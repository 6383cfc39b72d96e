import { ConfigError, Rng } from '@scale/workload';
import { BatchScheduler } from './batch-policies.js';
import { earliestFinishIdleServer, fastestIdleServer } from './internal/idle-servers.js';
import { ListScheduler } from './list-policies.js';
import { OpportunisticLoadBalancing, QueueOrderScheduler } from './queue-order-policies.js';
import { RolloutPolicy } from './rollout.js';
import type { Policy } from './policy.js';

export type { Policy } from './policy.js';

/** Every heuristic `makePolicy` builds: the paper's five, then the suite of issue 14 (sim README, "Heuristics"). */
export const POLICY_NAMES = [
  'random',
  'round-robin',
  'fastest',
  'eft',
  'best-fit',
  'heft',
  'cpop',
  'mct',
  'met',
  'min-min',
  'max-min',
  'sufferage',
  'olb',
  'sjf',
  'srpt-workflow',
  'fifo',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** `rollout-<heuristic>` (or several joined by `+`): the clairvoyant one-step lookahead over them (`RolloutPolicy`). */
export const ROLLOUT_PREFIX = 'rollout-';
/**
 * Ready tasks a `rollout-` policy tries at each decision (with every idle server class, and waiting):
 * the candidate window of the objective-reward methods' task-and-server actions (`candidates: 4`).
 */
const ROLLOUT_TASKS = 4;

/**
 * Builds a heuristic by name (DESIGN.md sections 3 and 8; the sim README defines each with its source).
 * `seed` feeds `random`'s own stream. Stateful policies (round-robin, the planners) belong to one run:
 * build one per simulation.
 * - `random`: uniform over valid servers.
 * - `round-robin`: the next valid server in id order after the last one chosen, wrapping around.
 * - `fastest`: largest compute among valid servers; ties to the lowest id.
 * - `eft`: earliest finish among valid servers (start, including transfer when it delays start, + c/C_j);
 *   equals `fastest` under reward-only communication; ties to the lowest id.
 * - `best-fit`: least memory that fits; ties by larger compute, then lowest id.
 * - `heft`, `cpop`, `mct`, `met`: busy-aware list schedulers (`ListScheduler`).
 * - `min-min`, `max-min`, `sufferage`: busy-aware batch schedulers (`BatchScheduler`).
 * - `olb`, `sjf`, `srpt-workflow`, `fifo`: immediate queue-order rules (`QueueOrderScheduler`, OLB).
 * - `rollout-<h>` and `rollout-<h1>+<h2>+...`: not heuristics but clairvoyant references, the one-step
 *   lookahead over those heuristics (`RolloutPolicy`, 4 candidate tasks, waiting allowed); not in `POLICY_NAMES`.
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
    case 'heft':
      return new ListScheduler('heft', 'upward-rank', 'earliest-finish');
    case 'cpop':
      return new ListScheduler('cpop', 'cpop-priority', 'critical-path');
    case 'mct':
      return new ListScheduler('mct', 'level-1', 'earliest-finish');
    case 'met':
      return new ListScheduler('met', 'level-1', 'least-execution');
    case 'min-min':
    case 'max-min':
    case 'sufferage':
      return new BatchScheduler(name, name);
    case 'olb':
      return new OpportunisticLoadBalancing();
    case 'sjf':
      return new QueueOrderScheduler('sjf', 'compute');
    case 'srpt-workflow':
      return new QueueOrderScheduler('srpt-workflow', 'workflow-remaining');
    case 'fifo':
      return new QueueOrderScheduler('fifo', 'ready-time');
    default: {
      const bases = name.startsWith(ROLLOUT_PREFIX) ? name.slice(ROLLOUT_PREFIX.length).split('+') : [];
      if (bases.length > 0 && bases.every((base) => (POLICY_NAMES as readonly string[]).includes(base))) {
        return new RolloutPolicy(name, { bases: bases.map((base) => () => makePolicy(base, options)), tasks: ROLLOUT_TASKS, defer: true });
      }
      throw new ConfigError('policy', `one of ${POLICY_NAMES.join(', ')}, or ${ROLLOUT_PREFIX}<one or more of those joined by +> (clairvoyant lookahead)`, name);
    }
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
  choose: (sim) => fastestIdleServer(sim, sim.task),
};

/**
 * Earliest finish time. Within a class all servers share C_j, and a server hosting none of the task's
 * parents sees the latest data-ready time of the class; so the candidates are each class's lowest idle
 * server plus the idle servers hosting a parent.
 */
const eftPolicy: Policy = {
  name: 'eft',
  choose: (sim) => earliestFinishIdleServer(sim, sim.task),
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
