/**
 * The errors the `scale` commands raise on bad input or a directory they cannot use. Each says in
 * one line what was wrong and what to do; the CLI prints that line and exits with the code
 * `exitCodeOf` gives its class (2), never a stack trace.
 */

/** A bad flag, argument or combination of them. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `scale train` into an `--out` that already holds a run, without `--resume`. */
export class RunExistsError extends Error {
  override readonly name = 'RunExistsError';
  constructor(readonly outDir: string) {
    super(`${outDir} already holds a run; pass --resume to continue it or choose another --out`);
  }
}

/** `scale train --resume` where there is no checkpoint to continue from. */
export class NothingToResumeError extends Error {
  override readonly name = 'NothingToResumeError';
  constructor(readonly outDir: string) {
    super(`--resume: no checkpoint in ${outDir}`);
  }
}

/** `scale train --resume` with another config than the run in `--out` was started with. */
export class ResumeMismatchError extends Error {
  override readonly name = 'ResumeMismatchError';
  constructor(readonly recordPath: string) {
    super(`--resume: the config differs from ${recordPath}; resume with the same settings`);
  }
}

/** A run's `config.json` that is missing, unreadable, not JSON (`unreadable`), or JSON that is not a run record of this version (`invalid`). */
export class RunRecordError extends Error {
  override readonly name = 'RunRecordError';
  constructor(
    readonly path: string,
    readonly problem: 'unreadable' | 'invalid',
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** `scale eval --nodes` at a cluster size an MLP model cannot run at (its encoder has a fixed N). */
export class TrainedNodesMismatchError extends Error {
  override readonly name = 'TrainedNodesMismatchError';
  constructor(
    readonly model: string,
    /** The N the model was trained at. */
    readonly trainedNodes: number,
    /** The N asked for. */
    readonly requested: number,
  ) {
    super(
      `--nodes: the model in ${model} has an MLP encoder trained at N = ${trainedNodes}, which runs only at --nodes ${trainedNodes}; received ${requested} ` +
        '(only cross-attention models run at any N)',
    );
  }
}

/** The reproduction in `--out` was made with other budgets than this call asks for. */
export class ReproductionMismatchError extends Error {
  override readonly name = 'ReproductionMismatchError';
  constructor(
    readonly field: string,
    readonly recorded: unknown,
    readonly requested: unknown,
  ) {
    super(`${field}: the reproduction in --out was made with ${JSON.stringify(recorded)}, this call asks for ${JSON.stringify(requested)}; use the same settings to resume it, or another --out`);
  }
}

/** Another `scale reproduce` is running in the same `--out` (two would run the same jobs twice). */
export class ReproductionLockedError extends Error {
  override readonly name = 'ReproductionLockedError';
  constructor(
    readonly outDir: string,
    readonly pid: number,
  ) {
    super(`--out ${outDir}: another scale reproduce (pid ${pid}) is running there; wait for it, stop it, or use --report to write the tables from what has finished`);
  }
}

/** A finished result in `--out` was made with other settings than the job now planned for it (e.g. after a regime changed). */
export class StaleResultError extends Error {
  override readonly name = 'StaleResultError';
  constructor(readonly path: string) {
    super(`${path} was made with other settings than this reproduction plans for it; delete it to redo it, or use another --out`);
  }
}

/** A result file under `--out` that does not hold a result record (truncated, edited by hand, another tool's). */
export class ResultFileError extends Error {
  override readonly name = 'ResultFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: not an evaluation result (${reason}); delete it to redo it`);
  }
}
