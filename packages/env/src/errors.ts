/** `step()` was called before `reset()`, or after the episode ended (Gymnasium's rule). */
export class ResetNeededError extends Error {
  override readonly name = 'ResetNeededError';
  constructor(readonly reason: 'not-reset' | 'episode-over') {
    super(reason === 'not-reset' ? 'call reset() before step()' : 'the episode is over: call reset() before step()');
  }
}

/** An action that is not an integer in 0..N-1 (N = servers currently up). */
export class ActionOutOfRangeError extends Error {
  override readonly name = 'ActionOutOfRangeError';
  constructor(
    readonly action: unknown,
    readonly n: number,
  ) {
    super(`action: expected an integer in [0, ${n - 1}], received ${String(action)}`);
  }
}
