import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { type ExitStatus, integer, versions } from '../internal/cli-options.js';
import { train } from '../train.js';
import type { TrainConfigInput } from '../train-config.js';

/** The flags that override a `--config` file's fields (commander's camelCase names are the config's). */
const CONFIG_FLAGS = ['method', 'nodes', 'seed', 'epochs', 'envs', 'backend', 'invalidAction'] as const;

/** `scale train`: trains a method into a run directory; Ctrl-C checkpoints and exits 130. */
export function registerTrain(program: Command, exit: ExitStatus): void {
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
      for (const key of CONFIG_FLAGS) if (flags[key] !== undefined) overrides[key] = flags[key];
      config = { ...config, ...overrides } as TrainConfigInput;
      let interrupted = false;
      const onSigint = () => {
        interrupted = true;
        process.stderr.write('scale train: stopping after this step; writing what is done\n');
      };
      process.once('SIGINT', onSigint);
      try {
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
        process.stdout.write(`done: ${last?.epoch ?? 0} epochs in ${wallSeconds.toFixed(1)} s; model in ${join(flags.out as string, 'model')}\n`);
        exit.code = interrupted ? 130 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
