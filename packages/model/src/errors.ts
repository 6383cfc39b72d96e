/** An MLP network used at a server count other than the one it was built for. */
export class ServerCountMismatchError extends Error {
  override readonly name = 'ServerCountMismatchError';
  constructor(
    /** The N the MLP encoder was built for. */
    readonly expected: number,
    /** The N it was given. */
    readonly received: number,
  ) {
    super(
      `servers: the MLP encoder has a fixed N = ${expected}, received observations with N = ${received} ` +
        '(only the cross-attention encoder runs at any N)',
    );
  }
}

/** A checkpoint that is missing, corrupt, or does not match what it is loaded into. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    /** The checkpoint directory or file. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${path}: ${reason}`);
  }
}
