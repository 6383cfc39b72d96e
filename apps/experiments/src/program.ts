import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNetwork, useBackend } from '@scale/model';
import { scaleSimMain } from '@scale/sim';
import { ConfigError } from '@scale/workload';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type EvaluationSummary, evaluateChooser, networkChooser } from './evaluate.js';
import { StaleResultError } from './jobs.js';
import { REPRODUCE_TARGETS, type ReproduceTarget } from './plan.js';
import { LogReporter, type Reporter, TerminalReporter } from './progress.js';
import { ReproductionLockedError, ReproductionMismatchError, reproduce } from './reproduce.js';
import { type TrainConfigInput, train } from './train.js';

/** A bad flag or input: one line on stderr, exit code 2. */
export class UsageError extends Error {}

function integer(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`${flag} must be an integer, got "${value}"`);
    return parsed;
  };
}

function integerList(flag: string): (value: string) => number[] {
  return (value) => value.split(',').map((part) => integer(flag)(part.trim()));
}

/** Versions of the packages a run used (recorded in config.json). */
function versions(): Record<string, string> {
  const read = (path: string) => (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
  try {
    return { '@scale/experiments': read('../package.json') };
  } catch {
    return {};
  }
}

function buildProgram(out: { code: number }): Command {
  const program = new Command('scale').description('SCALE-TS: train, evaluate and simulate schedulers for agentic-LLM workflow DAGs.').exitOverride().showSuggestionAfterError(false);

  program
    .command('train')
    .description('train a method (preset or config file) and write config.json, metrics, checkpoints and model/ into --out')
    .requiredOption('--out <dir>', 'run directory')
    .option('--method <name>', 'scale | crossattn | ppo | ppo-srr | dqn | sac | dqn-crossattn | sac-crossattn')
    .addOption(new Option('--nodes <n>', 'training cluster size N').argParser(integer('--nodes')))
    .addOption(new Option('--seed <n>', 'seed (networks, agent, training episodes)').argParser(integer('--seed')))
    .addOption(new Option('--epochs <n>', 'total epochs (1,024 env steps each with the paper sizes)').argParser(integer('--epochs')))
    .addOption(new Option('--envs <n>', 'parallel envs').argParser(integer('--envs')))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']))
    .addOption(new Option('--invalid-action <mode>', 'invalid-action handling').choices(['penalize', 'mask']))
    .option('--config <file>', 'JSON training config (flags override it)')
    .option('--resume', 'continue the run in --out from its checkpoint')
    .action(async (flags: Record<string, unknown>) => {
      let config: TrainConfigInput = {};
      if (typeof flags.config === 'string') {
        try {
          config = JSON.parse(await readFile(flags.config, 'utf8')) as TrainConfigInput;
        } catch (error) {
          throw new UsageError(`--config: cannot read ${flags.config} (${(error as Error).message})`);
        }
      }
      const overrides: Record<string, unknown> = {};
      for (const key of ['method', 'nodes', 'seed', 'epochs', 'envs', 'backend', 'invalidAction']) if (flags[key] !== undefined) overrides[key] = flags[key];
      config = { ...config, ...overrides } as TrainConfigInput;
      let interrupted = false;
      const onSigint = () => {
        interrupted = true;
        process.stderr.write('scale train: stopping after this step; writing what is done\n');
      };
      process.once('SIGINT', onSigint);
      const { last, wallSeconds } = await train(config, flags.out as string, {
        resume: flags.resume === true,
        versions: versions(),
        callbacks: [
          { onStep: () => (interrupted ? false : undefined) },
          {
            onEpoch: (m) => {
              const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
              process.stdout.write(`epoch ${m.epoch}  steps ${m.globalStep}  ${Math.round(m.stepsPerSec)} steps/s  mean reward ${fmt(m.meanReward)}  episode return ${fmt(m.meanEpisodeReturn)}\n`);
              return interrupted ? false : undefined;
            },
          },
        ],
      });
      process.off('SIGINT', onSigint);
      process.stdout.write(`done: ${last?.epoch ?? 0} epochs in ${wallSeconds.toFixed(1)} s; model in ${join(flags.out as string, 'model')}\n`);
      out.code = interrupted ? 130 : 0;
    });

  program
    .command('eval')
    .description('evaluate a trained model on fixed drained episodes at one or more cluster sizes')
    .requiredOption('--model <dir>', 'a run directory (with config.json) or a model directory')
    .addOption(new Option('--nodes <list>', 'cluster sizes, comma-separated').argParser(integerList('--nodes')).default([16]))
    .addOption(new Option('--episodes <n>', 'episodes per N').argParser(integer('--episodes')).default(30))
    .addOption(new Option('--policy-mode <mode>', 'greedy (argmax) or sample').choices(['greedy', 'sample']).default('greedy'))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).default('wasm'))
    .option('--json', 'print the results as JSON')
    .action(async (flags: { model: string; nodes: number[]; episodes: number; policyMode: 'greedy' | 'sample'; backend: string; json?: boolean }) => {
      if (flags.episodes < 1) throw new ConfigError('--episodes', 'an integer >= 1', flags.episodes);
      for (const n of flags.nodes) if (n < 1) throw new ConfigError('--nodes', 'integers >= 1', n);
      await useBackend(flags.backend);
      let runConfig: { config?: { env?: object; invalidAction?: 'penalize' | 'mask' } } = {};
      let modelDir = flags.model;
      try {
        runConfig = JSON.parse(await readFile(join(flags.model, 'config.json'), 'utf8'));
        modelDir = join(flags.model, 'model');
      } catch {
        // A bare model directory: default env settings.
      }
      const network = await loadNetwork(modelDir);
      const mask = runConfig.config?.invalidAction === 'mask';
      const results: EvaluationSummary[] = [];
      for (const nodes of flags.nodes) {
        const choose = networkChooser(network, { mask, mode: flags.policyMode, seed: 0 });
        results.push(evaluateChooser(modelDir, choose, { env: { ...(runConfig.config?.env ?? {}), invalidAction: mask ? 'mask' : 'penalize' }, nodes, episodes: flags.episodes }));
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(results.map(({ episodes: _e, ...rest }) => rest))}\n`);
      } else {
        for (const r of results) {
          const f = (s: { mean: number; ci95: number }) => `${s.mean.toFixed(3)} +- ${Number.isFinite(s.ci95) ? s.ci95.toFixed(3) : 'n/a'}`;
          process.stdout.write(`N=${r.nodes}  episodes ${r.episodes.length}  mean response ${f(r.meanResponseTime)} s  p95 ${f(r.p95ResponseTime)} s  completed tasks ${f(r.completedTasks)}  (95% CI)\n`);
        }
      }
      network.dispose();
    });

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
    .option('--workload <spec>', 'wfformat:PATH, the real workflows of the `real` target')
    .option('--report', 'run nothing: write the tables and figure from the results that have finished (safe while a reproduction runs)')
    .action(
      async (
        targets: string[],
        flags: { out?: string; seeds?: number; quick?: boolean; epochs?: number; episodes?: number; jobs?: number; backend: string; workload?: string; report?: boolean },
      ) => {
        for (const t of targets) if (!(REPRODUCE_TARGETS as readonly string[]).includes(t)) throw new UsageError(`target "${t}": expected one of ${REPRODUCE_TARGETS.join(', ')}`);
        const quick = flags.quick === true;
        const outDir = flags.out ?? (quick ? 'out/reproduce-quick' : 'out/reproduce');
        const seeds = flags.seeds ?? (quick ? 2 : 3);
        if (seeds < 1 || seeds > 100) throw new ConfigError('--seeds', 'an integer in [1, 100]', seeds);
        if (flags.epochs !== undefined && flags.epochs < 1) throw new ConfigError('--epochs', 'an integer >= 1', flags.epochs);
        if (flags.episodes !== undefined && flags.episodes < 2) throw new ConfigError('--episodes', 'an integer >= 2 (a confidence interval needs two)', flags.episodes);
        const workers = flags.jobs ?? Math.max(1, availableParallelism());
        if (workers < 1 || workers > 64) throw new ConfigError('--jobs', 'an integer in [1, 64]', workers);
        if (flags.workload !== undefined && !/^wfformat:.+/.test(flags.workload)) throw new ConfigError('--workload', 'wfformat:PATH', flags.workload);
        if (targets.includes('real') && flags.workload === undefined) throw new UsageError('real: needs --workload wfformat:PATH');
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
            command: [
              'scale reproduce',
              ...targets,
              ...(quick ? ['--quick'] : []),
              `--seeds ${seeds}`,
              ...(flags.epochs !== undefined ? [`--epochs ${flags.epochs}`] : []),
              ...(flags.episodes !== undefined ? [`--episodes ${flags.episodes}`] : []),
              `--jobs ${workers}`,
              ...(flags.backend !== 'wasm' ? [`--backend ${flags.backend}`] : []),
              ...(flags.workload !== undefined ? [`--workload ${flags.workload}`] : []),
              `--out ${outDir}`,
            ].join(' '),
          });
          const { pool } = result;
          for (const f of pool.failed) process.stderr.write(`scale reproduce: failed: ${f.label}: ${f.message}\n`);
          if (pool.blocked.length > 0) process.stderr.write(`scale reproduce: ${pool.blocked.length} jobs not run (a job they need failed)\n`);
          process.stdout.write(
            `${pool.finished} jobs finished (${pool.ranNow} now), ${pool.failed.length} failed; ${(result.wallSeconds / 60).toFixed(1)} min; wrote ${result.written.map((f) => join(outDir, f)).join(', ')}\n`,
          );
          out.code = pool.stopped ? 130 : pool.failed.length > 0 || pool.blocked.length > 0 ? 1 : 0;
        } finally {
          process.off('SIGINT', onSigint);
        }
      },
    );

  program
    .command('simulate')
    .description('run a heuristic on the simulator (the flags of scale-sim; `scale simulate --help`)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[flags...]')
    .action((args: string[]) => {
      out.code = scaleSimMain(args, 'scale simulate');
    });
  return program;
}

/** The worker entry beside the built CLI (`dist/worker.js`), also when running from source (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../dist/worker.js', import.meta.url));
}

/** Runs the CLI on `argv` (flags only); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const out = { code: 0 };
  const program = buildProgram(out);
  let errorText = '';
  program.configureOutput({ writeErr: () => undefined, outputError: (text) => (errorText = text) });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return out.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.exitCode === 0) {
        process.stdout.write(errorText);
        return 0;
      }
      return usage((errorText || error.message).trim().split('\n')[0]!.replace(/^error: /, ''));
    }
    if (error instanceof ConfigError) return usage(`${flagName(error.field)}: expected ${error.expected}, received ${JSON.stringify(error.received)}`);
    if (error instanceof UsageError || error instanceof ReproductionMismatchError || error instanceof ReproductionLockedError || error instanceof StaleResultError) return usage(error.message);
    if (error instanceof Error && /^(--resume|.* already holds a run)/.test(error.message)) return usage(error.message);
    if (error instanceof Error && error.name === 'CheckpointError') return usage(error.message);
    throw error;
  }
}

/** `config.nodes` -> `--nodes` for the settings that have a flag; nested fields keep their config path. */
function flagName(field: string): string {
  const path = field.replace(/^config\./, '');
  const flags: Record<string, string> = { nodes: '--nodes', seed: '--seed', epochs: '--epochs', envs: '--envs', backend: '--backend', invalidAction: '--invalid-action' };
  return flags[path] ?? field;
}

function usage(message: string): number {
  process.stderr.write(`scale: ${message}\n`);
  return 2;
}
