import { DEFER, type Decision } from './decision.js';
import { earliestFinishIdleServer, lowestIdleServer } from './internal/idle-servers.js';
import { TaskStatus, type SimulationView } from './view.js';

/** Key of a ready task for a queue-order rule: the smallest goes first. */
type TaskKey = 'compute' | 'workflow-remaining' | 'ready-time';

/**
 * Immediate-mode queue-order rules: among the ready tasks that some idle server can hold, the one with the
 * smallest key (ties to level 1's order; FIFO's to the lowest index) starts now on its earliest-finish idle server (`eft`'s choice).
 * They never wait.
 * - SJF, shortest job first (Conway, Maxwell, Miller 1967): key = the task's compute.
 * - SRPT-workflow, shortest remaining processing time (Schrage 1968) by workflow: key = the summed compute
 *   of the task's workflow's tasks that have not completed (running ones counted whole).
 * - FIFO: key = when the task became ready (the same schedule as `eft` with `taskSelector: 'fifo'`).
 */
export class QueueOrderScheduler {
  private sim: SimulationView | null = null;
  private remainingWork = new Float64Array(0);
  private remainingAtDone = new Int32Array(0);
  private readonly decision = { task: -1, server: DEFER };

  constructor(
    readonly name: string,
    private readonly key: TaskKey,
  ) {}

  choose(sim: SimulationView): number {
    return earliestFinishIdleServer(sim, sim.task);
  }

  decide(sim: SimulationView): Decision {
    if (this.sim !== sim) {
      this.sim = sim;
      this.remainingWork = new Float64Array(sim.workflowCount);
      this.remainingAtDone = new Int32Array(sim.workflowCount).fill(-1);
    }
    const largest = sim.largestIdleMemory();
    let best = -1;
    let bestKey = Number.POSITIVE_INFINITY;
    for (let i = 0; i < sim.readyTasks; i++) {
      const task = sim.readyTaskAt(i);
      if (sim.taskMemory(task) > largest) continue;
      const key = this.keyOf(sim, task);
      // FIFO breaks ties by task index, as level 1's 'fifo' selector does.
      if (best < 0 || key < bestKey || (key === bestKey && this.key === 'ready-time' && task < best)) {
        best = task;
        bestKey = key;
      }
    }
    const decision = this.decision;
    decision.task = best;
    decision.server = earliestFinishIdleServer(sim, best);
    return decision;
  }

  private keyOf(sim: SimulationView, task: number): number {
    if (this.key === 'compute') return sim.taskCompute(task);
    if (this.key === 'ready-time') return sim.taskReadyTime(task);
    // The workflow's remaining work, recomputed only when one of its tasks has completed since.
    const w = sim.taskWorkflow(task);
    const done = sim.workflowDone(w);
    if (this.remainingAtDone[w] !== done) {
      let work = 0;
      const first = sim.workflowFirstTask(w);
      for (let t = first; t < first + sim.workflowSize(w); t++) if (sim.taskStatus(t) !== TaskStatus.Done) work += sim.taskCompute(t);
      this.remainingWork[w] = work;
      this.remainingAtDone[w] = done;
    }
    return this.remainingWork[w] as number;
  }
}

/**
 * OLB, opportunistic load balancing (Braun et al. 2001): the level-1 task goes to the server that is
 * available first, whatever its speed; every idle server is available now, so the lowest-id valid one.
 */
export class OpportunisticLoadBalancing {
  readonly name = 'olb';
  private readonly decision = { task: -1, server: DEFER };

  choose(sim: SimulationView): number {
    return lowestIdleServer(sim, sim.task);
  }

  decide(sim: SimulationView): Decision {
    const decision = this.decision;
    decision.task = sim.task;
    decision.server = lowestIdleServer(sim, sim.task);
    return decision;
  }
}
