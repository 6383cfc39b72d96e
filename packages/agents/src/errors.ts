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
