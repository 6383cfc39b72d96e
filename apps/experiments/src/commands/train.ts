import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addSchemaOptions, givenSchemaOptions, readSchemaOptions, type SchemaOptionsMeta } from '@scale/sim/cli';
import { DiscountSchema, METHOD_PRESETS, MethodEnvSchema, resolveMethod } from '@scale/agents';
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
 * `ppo`, `dqn`, `sac`, `dagger`) are the config file's.
 */
const TrainSettingFlagsSchema = TrainConfigSchema.extend({
  method: z.string().default('scale').describe(Object.keys(METHOD_PRESETS).join(' | ')),
});
/**
 * The method's swaps (issue 14) as flags: each refines the chosen method, so `--method scale --reward
 * response-time` is SCALE trained on the response-time objective. The fields are the method's own
 * (`method.env`, `method.discount`), so the network and the env are built for the same settings.
 */
const MethodSwapFlagsSchema = MethodEnvSchema.extend({ discount: DiscountSchema.optional() });
const METHOD_SWAP_FLAGS: SchemaOptionsMeta = {
  objective: { flag: '--reward', help: 'paper (eq. 2) | response-time (minus the area under arrived, unfinished tasks); default: the method\'s' },
  observation: { flag: '--features', help: 'paper (5 task + 5 server features) | queue-aware (backlog, waits, free times, a global context); default: the method\'s' },
  actions: { help: 'server (level 1 picks the task) | task-and-server (the agent scores every ready task and server pair); default: the method\'s' },
  defer: { help: 'one more action: hold the decision until the next event' },
  candidates: { help: 'cap on the candidate tasks scored per decision (task-and-server); default: the method\'s, else 8' },
  candidateWindow: { help: 'level-1 (the first ready tasks in level-1 order) | level-1-and-shortest (half of them, then the shortest of the rest); default: the method\'s, else level-1' },
  discount: { help: 'per-step (the paper: gamma per decision) | per-second (gamma per simulated second; PPO); default: the method\'s' },
};
const SETTING_FLAGS: SchemaOptionsMeta = { env: { skip: true }, ppo: { skip: true }, dqn: { skip: true }, sac: { skip: true }, dagger: { skip: true } };
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
  const { discount, ...swaps } = givenSchemaOptions(MethodSwapFlagsSchema, flags, METHOD_SWAP_FLAGS) as z.output<typeof MethodSwapFlagsSchema>;
  if (discount !== undefined || Object.keys(swaps).length > 0) {
    const base = resolveMethod(config.method ?? 'scale');
    config = { ...config, method: { ...base, env: { ...base.env, ...swaps }, ...(discount === undefined ? {} : { discount }) } };
  }
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
  addSchemaOptions(command, MethodSwapFlagsSchema, METHOD_SWAP_FLAGS);
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
