import { DEFER } from './decision.js';

/** An action that is not a valid assignment where validity is required (mask mode, or `assign`). */
export class InvalidActionError extends Error {
  override readonly name = 'InvalidActionError';
  constructor(
    readonly server: number,
    readonly reason: 'out-of-range' | 'down' | 'busy' | 'memory' | 'no-next-event',
    readonly time: number,
  ) {
    super(`${server === DEFER ? 'defer' : `server ${server}`} is not a valid choice at t=${time}: ${REASONS[reason]}`);
  }
}

const REASONS = {
  'out-of-range': 'no such server',
  down: 'it is down',
  busy: 'it is running another task',
  memory: "the task's memory demand exceeds its memory",
  'no-next-event': 'no event comes before the time limit',
} as const;

/** A task no server of the cluster can ever hold, which would deadlock a drained run. */
export class InfeasibleTaskError extends Error {
  override readonly name = 'InfeasibleTaskError';
  constructor(
    readonly workflow: number,
    readonly task: number,
    readonly memory: number,
    readonly largestServerMemory: number,
  ) {
    super(`workflow ${workflow}, task ${task}: memory ${memory} GB exceeds every server's memory (largest ${largestServerMemory} GB)`);
  }
}

/** Calling the decision API out of order (e.g. `assign` with no pending decision). */
export class SimulationStateError extends Error {
  override readonly name = 'SimulationStateError';
}
