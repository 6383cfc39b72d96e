import { BackendUnavailableError, CheckpointError, ServerCountMismatchError } from '@scale/model';
import { SchemaOptionError } from '@scale/sim/cli';
import { ConfigError } from '@scale/workload';
import { describe, expect, it } from 'vitest';
import {
  NothingToResumeError,
  ReproductionLockedError,
  ReproductionMismatchError,
  ResultFileError,
  ResumeMismatchError,
  RunExistsError,
  RunRecordError,
  StaleResultError,
  TrainedNodesMismatchError,
  UsageError,
} from './errors.js';
import { exitCodeOf } from './program.js';

describe('exitCodeOf', () => {
  it('maps every error that is the user to fix to exit 2 by its class, whatever its message', () => {
    const errors = [
      new UsageError('x'),
      new SchemaOptionError('--seeds', 'an integer from 1 to 100', 0),
      new ConfigError('nodes', 'a number >= 1', 0),
      new RunExistsError('out'),
      new NothingToResumeError('out'),
      new ResumeMismatchError('out/config.json'),
      new RunRecordError('out/config.json', 'invalid', 'x'),
      new TrainedNodesMismatchError('out', 8, 12),
      new ReproductionMismatchError('budget', 1, 2),
      new ReproductionLockedError('out', 1),
      new StaleResultError('out/x.json'),
      new ResultFileError('out/x.json', 'no "job" object'),
      new BackendUnavailableError('tensorflow-gpu', 'not installed'),
      new CheckpointError('out/checkpoint', 'missing'),
      new ServerCountMismatchError(8, 12),
    ];
    for (const error of errors) expect([error.name, exitCodeOf(error)]).toEqual([error.name, 2]);
  });

  it('leaves unexpected errors (bugs) to surface with their stack, even with a message like a usage error', () => {
    expect(exitCodeOf(new Error('out already holds a run; pass --resume'))).toBeNull();
    expect(exitCodeOf(new TypeError('x is undefined'))).toBeNull();
    expect(exitCodeOf('a string')).toBeNull();
  });

  it('the errors read as one line that names the flag or path and what to do', () => {
    expect(new TrainedNodesMismatchError('runs/ppo', 16, 48).message).toBe(
      '--nodes: the model in runs/ppo has an MLP encoder trained at N = 16, which runs only at --nodes 16; received 48 (only cross-attention models run at any N)',
    );
    expect(new NothingToResumeError('runs/x').message).toBe('--resume: no checkpoint in runs/x');
    for (const error of [new RunExistsError('runs/x'), new ReproductionLockedError('out', 12), new StaleResultError('out/a.json')]) expect(error.message).not.toContain('\n');
  });
});
