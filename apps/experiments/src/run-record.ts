import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MethodSchema } from '@scale/agents';
import { BACKENDS } from '@scale/model';
import { z } from 'zod';
import { RunRecordError } from './errors.js';
import { type TrainConfig, TrainConfigSchema } from './train-config.js';

/**
 * A recorded training config: checked against `TrainConfigSchema` but kept as written. It is that
 * schema's output, and parsing it again would not give it back (a nested `{}` such as `ppo` gets its
 * defaults filled in), while `--resume` and the reproduction compare it with a freshly resolved config.
 */
const RecordedTrainConfigSchema = z.custom<TrainConfig>((value) => TrainConfigSchema.safeParse(value).success, { message: 'not a training config of this version' });

/**
 * A training run's `config.json`: what `scale train` (and a reproduction's training jobs) write, and
 * what `scale eval`, `--resume`, the reproduction's evaluations and its finished-run check read.
 * Written at the start (without the last three fields) and again at the end.
 */
export const RunRecordSchema = z.object({
  /** The resolved training config. */
  config: RecordedTrainConfigSchema,
  /** The resolved method (`config.method` may name a preset). */
  method: MethodSchema,
  backend: z.enum(BACKENDS),
  /** The Node version that ran it. */
  node: z.string(),
  /** Versions of the packages that ran it. */
  versions: z.record(z.string(), z.string()),
  startedAt: z.string(),
  wallSeconds: z.number().optional(),
  /** Epochs done when training returned (the config's epochs once finished; fewer after a stop). */
  epochsDone: z.number().int().optional(),
  globalStep: z.number().int().optional(),
});
export type RunRecord = z.output<typeof RunRecordSchema>;

/** The record's file name inside a run directory. */
export const RUN_RECORD_FILE = 'config.json';

/** Writes a run's record (fields in the schema's order, two-space JSON). */
export async function writeRunRecord(runDirectory: string, record: RunRecord): Promise<void> {
  await writeFile(join(runDirectory, RUN_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** Reads a run's record; null when the directory has none (a bare model directory, a run not started). */
export async function readRunRecord(runDirectory: string): Promise<RunRecord | null> {
  const path = join(runDirectory, RUN_RECORD_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new RunRecordError(path, 'unreadable', `cannot read it (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunRecordError(path, 'unreadable', `not JSON (${(error as Error).message})`);
  }
  const parsed = RunRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RunRecordError(path, 'invalid', `not a run record (${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'record'}: ${issue.message}`})`);
  }
  return parsed.data;
}
