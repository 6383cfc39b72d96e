import { BackendUnavailableError, CheckpointError, ServerCountMismatchError } from '@scale/model';
import { SchemaOptionError } from '@scale/sim/cli';
import { ConfigError } from '@scale/workload';
import { Command, CommanderError } from 'commander';
import { registerEval } from './commands/eval.js';
import { registerReproduce } from './commands/reproduce.js';
import { registerSimulate } from './commands/simulate.js';
import { registerTrain } from './commands/train.js';
import { registerWorker } from './commands/worker.js';
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
import type { ExitStatus } from './internal/cli-options.js';
import { QueueUnavailableError, QueueUrlError } from './queue-connection.js';
import { QueuePayloadError } from './queue-jobs.js';

/** The commands, in `scale --help` order; each module adds its own. */
const COMMANDS = [registerTrain, registerEval, registerReproduce, registerWorker, registerSimulate] as const;

/**
 * The exit code of each error class that is the user's to fix (a bad flag, a directory in the wrong
 * state, a package not installed): one line on stderr. Anything else is a bug and keeps its stack trace.
 */
const EXIT_CODES: readonly (readonly [abstract new (...args: never[]) => Error, number])[] = [
  [UsageError, 2],
  [SchemaOptionError, 2],
  [ConfigError, 2],
  [RunExistsError, 2],
  [NothingToResumeError, 2],
  [ResumeMismatchError, 2],
  [RunRecordError, 2],
  [TrainedNodesMismatchError, 2],
  [ReproductionMismatchError, 2],
  [ReproductionLockedError, 2],
  [StaleResultError, 2],
  [ResultFileError, 2],
  [BackendUnavailableError, 2],
  [CheckpointError, 2],
  [ServerCountMismatchError, 2],
  [QueueUrlError, 2],
  [QueueUnavailableError, 2],
  [QueuePayloadError, 2],
];

/** The exit code `error`'s class maps to, or null for an unexpected error. */
export function exitCodeOf(error: unknown): number | null {
  for (const [errorClass, code] of EXIT_CODES) if (error instanceof errorClass) return code;
  return null;
}

/** The program; commander's own error text goes to `output.error` (set before the commands are added, which copy it). */
function buildProgram(exit: ExitStatus, output: { error: string }): Command {
  const program = new Command('scale').description('SCALE-TS: train, evaluate and simulate schedulers for agentic-LLM workflow DAGs.').exitOverride().showSuggestionAfterError(false);
  program.configureOutput({ writeErr: () => undefined, outputError: (text) => (output.error = text) });
  for (const register of COMMANDS) register(program, exit);
  return program;
}

/** Runs the CLI on `argv` (flags only); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const exit: ExitStatus = { code: 0 };
  const output = { error: '' };
  const program = buildProgram(exit, output);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.exitCode === 0) {
        process.stdout.write(output.error);
        return 0;
      }
      return fail((output.error || error.message).trim().split('\n')[0]!.replace(/^error: /, ''), 2);
    }
    const code = exitCodeOf(error);
    if (code === null) throw error;
    return fail(error instanceof ConfigError ? `${error.field}: expected ${error.expected}, received ${JSON.stringify(error.received)}` : (error as Error).message, code);
  }
}

function fail(message: string, code: number): number {
  process.stderr.write(`scale: ${message}\n`);
  return code;
}
