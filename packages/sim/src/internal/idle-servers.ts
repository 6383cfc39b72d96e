import type { SimulationView } from '../view.js';

/**
 * Server choices among the idle up servers that can hold a given ready task (its valid servers), in
 * O(server classes + N/32): within a class every server has the same speed and memory, so each class's
 * lowest idle id stands for the class. Ties go to the lowest id; -1 when no idle server fits.
 */

/** Largest compute, then lowest id. */
export function fastestIdleServer(sim: SimulationView, task: number): number {
  const memory = sim.taskMemory(task);
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
}

/**
 * Earliest finish (start, including transfer when it delays start, + c/C_j), then lowest id. Under
 * 'delays-start' a server hosting one of the task's parents may finish earlier than its class's lowest
 * idle id, so those are candidates too; under 'reward-only' this is `fastestIdleServer`.
 */
export function earliestFinishIdleServer(sim: SimulationView, task: number): number {
  if (sim.options.communication === 'reward-only') return fastestIdleServer(sim, task);
  const memory = sim.taskMemory(task);
  let best = -1;
  let bestFinish = Number.POSITIVE_INFINITY;
  for (let k = 0; k < sim.classCount; k++) {
    if (sim.classMemory(k) < memory || sim.idleCountInClass(k) === 0) continue;
    const j = sim.firstIdleInClass(k);
    const finish = idleFinish(sim, task, j);
    if (finish < bestFinish || (finish === bestFinish && j < best)) {
      best = j;
      bestFinish = finish;
    }
  }
  for (let i = 0; i < sim.parentCount(task); i++) {
    const host = sim.taskServer(sim.parentAt(task, i));
    if (host < 0 || !sim.isIdle(host) || sim.serverMemory(host) < memory) continue;
    const finish = idleFinish(sim, task, host);
    if (finish < bestFinish || (finish === bestFinish && host < best)) {
      best = host;
      bestFinish = finish;
    }
  }
  return best;
}

function idleFinish(sim: SimulationView, task: number, server: number): number {
  return Math.max(sim.now, sim.dataReadyTime(task, server)) + sim.taskCompute(task) / sim.serverCompute(server);
}

/** Lowest id. */
export function lowestIdleServer(sim: SimulationView, task: number): number {
  const memory = sim.taskMemory(task);
  for (let j = sim.firstIdleFrom(0); j >= 0; j = sim.firstIdleFrom(j + 1)) if (sim.serverMemory(j) >= memory) return j;
  return -1;
}
