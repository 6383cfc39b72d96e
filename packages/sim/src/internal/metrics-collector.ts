import { summarizeMetrics, type Metrics } from '../metrics.js';
import { TaskStatus, type SimulationView } from '../view.js';
import type { PoolUsage } from './server-pool.js';

/**
 * Metrics of a run so far (DESIGN.md section 2), gathered from the simulation's state and its pool's
 * usage; `responseTimeBound` computes the headroom bound over the arrived workflows (read lazily).
 */
export function collectMetrics(sim: SimulationView, usage: PoolUsage, responseTimeBound: () => number | null): Metrics {
  const responses: number[] = [];
  let makespan = 0;
  for (let t = 0; t < sim.taskCount; t++) {
    if (sim.taskStatus(t) !== TaskStatus.Done) continue;
    const end = sim.taskEnd(t);
    responses.push(end - sim.workflowArrival(sim.taskWorkflow(t)));
    if (end > makespan) makespan = end;
  }
  const workflowResponses: number[] = [];
  for (let w = 0; w < sim.workflowCount; w++) {
    const end = sim.workflowEnd(w);
    if (!Number.isNaN(end)) workflowResponses.push(end - sim.workflowArrival(w));
  }
  return summarizeMetrics({
    responses,
    responseTimeBound,
    workflowResponses,
    arrivedTasks: sim.arrivedTasks,
    arrivedWorkflows: sim.arrivedWorkflows,
    makespan,
    upTime: usage.upTime,
    occupied: usage.occupied,
    energy: usage.energy,
    interruptedAttempts: sim.interruptedAttempts,
    time: sim.now,
  });
}
