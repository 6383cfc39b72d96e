import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS } from '@scale/model';
import { addSchemaOptions, readSchemaOptions, type SchemaOptionsMeta } from '@scale/sim/cli';
import { ConfigError } from '@scale/workload';
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { type ExitStatus, versions } from '../internal/cli-options.js';
import { LogReporter, type Reporter, TerminalReporter } from '../progress.js';
import { parseQueueUrl } from '../queue-connection.js';
import { MIN_CLAIM_SEEDS } from '../table.js';
import { MAX_EPOCHS } from '../train-config.js';
import { reproduce } from '../reproduce.js';
import { isReproduceTarget, REPRODUCE_TARGETS, type ReproduceTarget } from '../targets.js';

/** `scale reproduce`'s flags: each one's name, help, range and default (those that depend on `--quick` are resolved in the action). */
const ReproduceFlagsSchema = z.object({
  out: z.string().optional().describe('the reproduction directory; rerun the same command to resume it (default out/reproduce, out/reproduce-quick with --quick)'),
  seeds: z.number().int().min(1).max(100).optional().describe('training seeds per method (42, 43, ...); default 5 (the seeds a claim needs), 2 with --quick'),
  quick: z.boolean().default(false).describe('the same code path with tiny budgets (2 epochs, 2 episodes, 10 s horizon): minutes, for CI'),
  epochs: z.number().int().min(1).max(MAX_EPOCHS).optional().describe('training epochs per run (default 1000)'),
  episodes: z.number().int().min(2).optional().describe('evaluation episodes per N, two or more for a confidence interval (default 30; 5 above N=256)'),
  jobs: z.number().int().min(1).max(64).optional().describe('worker processes (default: the CPU count)'),
  backend: z.enum(BACKENDS).default('wasm').describe('tfjs backend'),
  workload: z.string().optional().describe('wfformat:PATH, the real workflows of the `real` target (default: the one the reproduction in --out recorded)'),
  queue: z.string().optional().describe('run the jobs on a BullMQ queue in this Redis (redis://[:PASSWORD@]HOST[:PORT] or rediss://), taken by `scale worker`s on any machine'),
  report: z.boolean().default(false).describe('run nothing: write the tables and figure from the results that have finished (safe while a reproduction runs)'),
});
type ReproduceFlags = z.output<typeof ReproduceFlagsSchema>;
const REPRODUCE_FLAGS: SchemaOptionsMeta = { out: { valueName: 'dir' }, seeds: { valueName: 'k' }, workload: { valueName: 'spec' }, queue: { valueName: 'url' } };

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
  const command = program
    .command('reproduce')
    .description(`train, evaluate and write the paper's tables and figure with ours beside them (targets: ${REPRODUCE_TARGETS.join(', ')}; default all)`)
    .argument('[targets...]', 'what to reproduce');
  addSchemaOptions(command, ReproduceFlagsSchema, REPRODUCE_FLAGS);
  command.action(async (targets: string[], commanderFlags: Record<string, unknown>) => {
    const flags = readSchemaOptions(ReproduceFlagsSchema, commanderFlags, REPRODUCE_FLAGS);
    for (const t of targets) if (!isReproduceTarget(t)) throw new UsageError(`target "${t}": expected one of ${REPRODUCE_TARGETS.join(', ')}`);
    const quick = flags.quick;
    const outDir = flags.out ?? (quick ? 'out/reproduce-quick' : 'out/reproduce');
    const seeds = flags.seeds ?? (quick ? 2 : MIN_CLAIM_SEEDS);
    const workers = flags.jobs ?? Math.min(64, Math.max(1, availableParallelism()));
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
        reportOnly: flags.report,
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
