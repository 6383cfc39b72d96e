import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addSchemaOptions, givenSchemaOptions, readSchemaOptions, type SchemaOptionsMeta } from '@scale/sim/cli';
import { ConfigError } from '@scale/workload';
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { type ExitStatus, versions } from '../internal/cli-options.js';
import { train } from '../train.js';
import { resolveTrainConfig, type TrainConfigInput, TrainConfigSchema } from '../train-config.js';

/** `scale train`'s own flags: where the run goes, a config file, and whether to continue it. */
const TrainRunFlagsSchema = z.object({
  out: z.string().describe('run directory'),
  config: z.string().optional().describe('JSON training config (flags override it)'),
  resume: z.boolean().default(false).describe('continue the run in --out from its checkpoint'),
});

/**
 * The training settings with a flag: every scalar field of `TrainConfigSchema` (a new one gets its
 * flag, help, range and default from the schema), `method` by name. The nested settings (`env`,
 * `ppo`, `dqn`, `sac`) are the config file's.
 */
const TrainSettingFlagsSchema = TrainConfigSchema.extend({
  method: z.string().default('scale').describe('scale | crossattn | ppo | ppo-srr | dqn | sac | dqn-crossattn | sac-crossattn'),
});
const SETTING_FLAGS: SchemaOptionsMeta = { env: { skip: true }, ppo: { skip: true }, dqn: { skip: true }, sac: { skip: true } };
const RUN_FLAGS: SchemaOptionsMeta = { out: { valueName: 'dir' }, config: { valueName: 'file' } };

/** A config field as the flag that sets it (`config.invalidAction` -> `--invalid-action`); nested fields keep their path. */
function flagOf(field: string): string {
  const key = field.replace(/^config\./, '');
  return key in TrainSettingFlagsSchema.shape && !(key in SETTING_FLAGS) ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : field;
}

/** The config file with the flags given laid over it, parsed once (a bad value names its flag). */
async function configOf(file: string | undefined, flags: Readonly<Record<string, unknown>>): Promise<TrainConfigInput> {
  let config: TrainConfigInput = {};
  if (file !== undefined) {
    try {
      config = JSON.parse(await readFile(file, 'utf8')) as TrainConfigInput;
    } catch (error) {
      throw new UsageError(`--config: cannot read ${file} (${(error as Error).message})`);
    }
  }
  config = { ...config, ...givenSchemaOptions(TrainSettingFlagsSchema, flags, SETTING_FLAGS) } as TrainConfigInput;
  try {
    resolveTrainConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(flagOf(error.field), error.expected, error.received);
    throw error;
  }
  return config;
}

/** `scale train`: trains a method into a run directory; Ctrl-C checkpoints and exits 130. */
export function registerTrain(program: Command, exit: ExitStatus): void {
  const command = program.command('train').description('train a method (preset or config file) and write config.json, metrics, checkpoints and model/ into --out');
  addSchemaOptions(command, TrainRunFlagsSchema, RUN_FLAGS);
  addSchemaOptions(command, TrainSettingFlagsSchema, SETTING_FLAGS);
  command.action(async (flags: Record<string, unknown>) => {
    const run = readSchemaOptions(TrainRunFlagsSchema, flags, RUN_FLAGS);
    const config = await configOf(run.config, flags);
    let interrupted = false;
    const onSigint = () => {
      interrupted = true;
      process.stderr.write('scale train: stopping after this step; writing what is done\n');
    };
    process.once('SIGINT', onSigint);
    try {
      const { last, wallSeconds } = await train(config, run.out, {
        resume: run.resume,
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
      process.stdout.write(`done: ${last?.epoch ?? 0} epochs in ${wallSeconds.toFixed(1)} s; model in ${join(run.out, 'model')}\n`);
      exit.code = interrupted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}
