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

/** Inputs one of SCALE-TS's training kernels does not serve (wrong rank, dtype or sizes). */
export class KernelInputError extends Error {
  override readonly name = 'KernelInputError';
  constructor(
    /** The kernel: `ScaleMatMul` or `ScaleSumRows`. */
    readonly kernel: string,
    /** The inputs as the message shows them, e.g. `a [2,3] x b [3,4]^T`. */
    readonly inputs: string,
    /** The rule they break. */
    readonly reason: string,
  ) {
    super(`${kernel}: ${inputs}: ${reason}`);
  }
}

/**
 * An observation (or a batch) whose layout does not match: a field of the wrong length, rows that
 * disagree, or a batch the network's config does not read (defer, global or pair widths, k).
 */
export class ObservationLayoutError extends RangeError {
  override readonly name = 'ObservationLayoutError';
  constructor(
    /** Which: `observation 3` (its index in a batch), `observation` (the one given) or `batch`. */
    readonly where: string,
    /** The field: `task`, `servers`, `mask`, `k`, `tasks`, `pairs`, `global`, `defer`. */
    readonly field: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${where}: ${field}: expected ${expected}, received ${received}`);
  }
}
