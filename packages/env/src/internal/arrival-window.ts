import type { SimulationView } from '@scale/sim';

/**
 * The compute (GFLOP) of the workflows that arrived in the last `window` seconds, (now - window, now],
 * kept as a running sum over the arrival-ordered workflows: O(1) amortized per observation, since
 * time never goes back within an episode.
 */
export class ArrivalWindow {
  /** Workflows [start, end) are in the window. */
  private start = 0;
  private end = 0;
  private sum = 0;

  reset(): void {
    this.start = 0;
    this.end = 0;
    this.sum = 0;
  }

  work(sim: SimulationView, window: number): number {
    const arrived = sim.arrivedWorkflows;
    while (this.end < arrived) this.sum += sim.workflowWork(this.end++);
    const from = sim.now - window;
    while (this.start < this.end && sim.workflowArrival(this.start) <= from) this.sum -= sim.workflowWork(this.start++);
    // An empty window is exactly 0 (no drift from the running sum).
    if (this.start === this.end) this.sum = 0;
    return this.sum;
  }
}
