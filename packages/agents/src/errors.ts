/** A loss became NaN or infinite: training stops, the last good checkpoint stays in place. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    /** The epoch whose update diverged. */
    readonly epoch: number,
    /** Which loss term, e.g. `policyLoss`. */
    readonly term: string,
    readonly value: number,
  ) {
    super(`epoch ${epoch}: ${term} is ${value}; training stopped, the last good checkpoint is kept`);
  }
}

/** An update thread (data-parallel gradients) failed or stopped making progress. */
export class UpdateThreadError extends Error {
  override readonly name = 'UpdateThreadError';
  constructor(
    /** Which update thread (1 .. updateThreads - 1; the training thread is 0). */
    readonly thread: number,
    readonly reason: string,
  ) {
    super(`update thread ${thread}: ${reason}`);
  }
}
