import { scaleSimMain } from '@scale/sim/cli';
import type { Command } from 'commander';
import type { ExitStatus } from '../internal/cli-options.js';

/** `scale simulate`: the `scale-sim` program (its own flags and help) under the `scale` CLI. */
export function registerSimulate(program: Command, exit: ExitStatus): void {
  program
    .command('simulate')
    .description('run a heuristic on the simulator (the flags of scale-sim; `scale simulate --help`)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[flags...]')
    .action((args: string[]) => {
      exit.code = scaleSimMain(args, 'scale simulate');
    });
}
