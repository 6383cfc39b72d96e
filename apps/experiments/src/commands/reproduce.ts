import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@scale/workload';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { type ExitStatus, integer, versions } from '../internal/cli-options.js';
import { LogReporter, type Reporter, TerminalReporter } from '../progress.js';
import { parseQueueUrl } from '../queue-connection.js';
import { reproduce } from '../reproduce.js';
import { isReproduceTarget, REPRODUCE_TARGETS, type ReproduceTarget } from '../targets.js';

interface ReproduceFlags {
  readonly out?: string;
  readonly seeds?: number;
  readonly quick?: boolean;
  readonly epochs?: number;
  readonly episodes?: number;
  readonly jobs?: number;
  readonly backend: string;
  readonly workload?: string;
  readonly report?: boolean;
  readonly queue?: string;
}

/** The worker entry beside the built CLI (`dist/worker.js`), also when running from source (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/worker.js', import.meta.url));
}

/** The command line as recorded in reproduce.json (the settings that matter, defaults filled in). */
function commandLine(targets: readonly string[], flags: ReproduceFlags, resolved: { quick: boolean; seeds: number; workers: number; outDir: string }): string {
  return [
    'scale reproduce',
    ...targets,
    ...(resolved.quick ? ['--quick'] : []),
    `--seeds ${resolved.seeds}`,
    ...(flags.epochs !== undefined ? [`--epochs ${flags.epochs}`] : []),
    ...(flags.episodes !== undefined ? [`--episodes ${flags.episodes}`] : []),
    ...(flags.queue !== undefined ? [`--queue ${parseQueueUrl(flags.queue).display}`] : [`--jobs ${resolved.workers}`]),
    ...(flags.backend !== 'wasm' ? [`--backend ${flags.backend}`] : []),
    ...(flags.workload !== undefined ? [`--workload ${flags.workload}`] : []),
    `--out ${resolved.outDir}`,
  ].join(' ');
}

/** `scale reproduce`: plans the targets' jobs, runs them on worker processes, writes the tables. */
export function registerReproduce(program: Command, exit: ExitStatus): void {
  program
    .command('reproduce')
    .description(`train, evaluate and write the paper's tables and figure with ours beside them (targets: ${REPRODUCE_TARGETS.join(', ')}; default all)`)
    .argument('[targets...]', 'what to reproduce')
    .option('--out <dir>', 'the reproduction directory; rerun the same command to resume it (default out/reproduce, out/reproduce-quick with --quick)')
    .addOption(new Option('--seeds <k>', 'training seeds per method (42, 43, ...); default 3, 2 with --quick').argParser(integer('--seeds')))
    .option('--quick', 'the same code path with tiny budgets (2 epochs, 2 episodes, 10 s horizon): minutes, for CI')
    .addOption(new Option('--epochs <n>', 'training epochs per run (default 1000)').argParser(integer('--epochs')))
    .addOption(new Option('--episodes <n>', 'evaluation episodes per N (default 30; 5 above N=256)').argParser(integer('--episodes')))
    .addOption(new Option('--jobs <n>', 'worker processes (default: the CPU count)').argParser(integer('--jobs')))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).default('wasm'))
    .option('--workload <spec>', 'wfformat:PATH, the real workflows of the `real` target (default: the one the reproduction in --out recorded)')
    .option('--queue <url>', 'run the jobs on a BullMQ queue in this Redis (redis://[:PASSWORD@]HOST[:PORT] or rediss://), taken by `scale worker`s on any machine')
    .option('--report', 'run nothing: write the tables and figure from the results that have finished (safe while a reproduction runs)')
    .action(async (targets: string[], flags: ReproduceFlags) => {
      for (const t of targets) if (!isReproduceTarget(t)) throw new UsageError(`target "${t}": expected one of ${REPRODUCE_TARGETS.join(', ')}`);
      const quick = flags.quick === true;
      const outDir = flags.out ?? (quick ? 'out/reproduce-quick' : 'out/reproduce');
      const seeds = flags.seeds ?? (quick ? 2 : 3);
      if (seeds < 1 || seeds > 100) throw new ConfigError('--seeds', 'an integer in [1, 100]', seeds);
      if (flags.epochs !== undefined && flags.epochs < 1) throw new ConfigError('--epochs', 'an integer >= 1', flags.epochs);
      if (flags.episodes !== undefined && flags.episodes < 2) throw new ConfigError('--episodes', 'an integer >= 2 (a confidence interval needs two)', flags.episodes);
      const workers = flags.jobs ?? Math.max(1, availableParallelism());
      if (workers < 1 || workers > 64) throw new ConfigError('--jobs', 'an integer in [1, 64]', workers);
      if (flags.workload !== undefined && !/^wfformat:.+/.test(flags.workload)) throw new ConfigError('--workload', 'wfformat:PATH', flags.workload);
      if (flags.queue !== undefined) parseQueueUrl(flags.queue);
      let stopRequested = () => {};
      const stopSignal = new Promise<void>((resolve) => {
        stopRequested = resolve;
      });
      let interrupts = 0;
      const onSigint = () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        stopRequested();
      };
      process.on('SIGINT', onSigint);
      const reporter: Reporter = process.stderr.isTTY ? new TerminalReporter() : new LogReporter((line) => process.stderr.write(`${line}\n`), Date.now);
      try {
        const result = await reproduce({
          targets: targets as ReproduceTarget[],
          outDir,
          seeds,
          quick,
          ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
          ...(flags.episodes !== undefined ? { episodes: flags.episodes } : {}),
          workers,
          backend: flags.backend,
          workload: flags.workload ?? null,
          reporter,
          stopSignal,
          versions: versions(),
          workerScript: workerScript(),
          reportOnly: flags.report === true,
          ...(flags.queue !== undefined ? { queueUrl: flags.queue } : {}),
          command: commandLine(targets, flags, { quick, seeds, workers, outDir }),
        });
        const { pool } = result;
        for (const f of pool.failed) process.stderr.write(`scale reproduce: failed: ${f.label}: ${f.message}\n`);
        if (pool.blocked.length > 0) process.stderr.write(`scale reproduce: ${pool.blocked.length} jobs not run (a job they need failed)\n`);
        process.stdout.write(
          `${pool.finished} jobs finished (${pool.ranNow} now), ${pool.failed.length} failed; ${(result.wallSeconds / 60).toFixed(1)} min; wrote ${result.written.map((f) => join(outDir, f)).join(', ')}\n`,
        );
        exit.code = pool.stopped ? 130 : pool.failed.length > 0 || pool.blocked.length > 0 ? 1 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
