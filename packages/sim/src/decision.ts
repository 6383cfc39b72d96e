/**
 * A scheduling decision at a decision point: start `task` (any ready task with a valid server, not only
 * the level-1 pick) on `server`, or, with `server === DEFER`, start nothing and hold every decision
 * until the next event (a completion, arrival, failure or join).
 */
export interface Decision {
  readonly task: number;
  readonly server: number;
}

/** `Decision.server` of a decision to wait for the next event. */
export const DEFER = -1;
