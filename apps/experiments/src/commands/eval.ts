import { join } from 'node:path';
import { policyFromNetwork } from '@scale/agents';
import { BACKENDS, loadNetwork, type Network, useBackend } from '@scale/model';
import { addSchemaOptions, readSchemaOptions, type SchemaOptionsMeta } from '@scale/sim/cli';
import { ConfigError, MAX_SERVERS } from '@scale/workload';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { TrainedNodesMismatchError } from '../errors.js';
import { type EvaluationSummary, evaluateChooser } from '../evaluate.js';
import { type ExitStatus, integerList } from '../internal/cli-options.js';
import { readRunRecord } from '../run-record.js';
import { methodEnv } from '../train-config.js';

/** `scale eval`'s flags (`--nodes`, a list, is added by hand: the generator makes scalar flags). */
const EvalFlagsSchema = z.object({
  model: z.string().describe('a run directory (with config.json) or a model directory'),
  episodes: z.number().int().min(1).default(30).describe('episodes per N'),
  policyMode: z.enum(['greedy', 'sample']).default('greedy').describe('greedy (argmax) or sample'),
  backend: z.enum(BACKENDS).default('wasm').describe('tfjs backend'),
  invalidAction: z
    .enum(['penalize', 'mask'])
    .optional()
    .describe("evaluate with this invalid-action mode instead of the run's (mask: the network's invalid choices are masked out; a diagnosis, not the run's protocol)"),
  json: z.boolean().default(false).describe('print the results as JSON'),
});
const EVAL_FLAGS: SchemaOptionsMeta = { model: { valueName: 'dir' }, policyMode: { valueName: 'mode' } };

/** An MLP encoder is built for one N (DESIGN.md section 3): refuse other sizes before running any episode. */
function checkNodes(network: Network, model: string, nodes: readonly number[]): void {
  const { encoder, servers } = network.config;
  if (encoder !== 'mlp' || servers === undefined) return;
  for (const n of nodes) if (n !== servers) throw new TrainedNodesMismatchError(model, servers, n);
}

function printSummaries(results: readonly EvaluationSummary[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(results.map(({ episodes: _e, ...rest }) => rest))}\n`);
    return;
  }
  for (const r of results) {
    const f = (s: { mean: number; ci95: number }) => `${s.mean.toFixed(3)} +- ${Number.isFinite(s.ci95) ? s.ci95.toFixed(3) : 'n/a'}`;
    const invalid = r.invalidActions === undefined ? '' : `  invalid actions ${f(r.invalidActions)} of ${r.decisions === undefined ? 'n/a' : r.decisions.mean.toFixed(1)} decisions`;
    process.stdout.write(`N=${r.nodes}  episodes ${r.episodes.length}  mean response ${f(r.meanResponseTime)} s  p95 ${f(r.p95ResponseTime)} s  completed tasks ${f(r.completedTasks)}${invalid}  (95% CI)\n`);
  }
}

/** `scale eval`: a trained model on the fixed evaluation episodes at one or more N. */
export function registerEval(program: Command, _exit: ExitStatus): void {
  const command = program.command('eval').description('evaluate a trained model on fixed drained episodes at one or more cluster sizes');
  addSchemaOptions(command, EvalFlagsSchema.pick({ model: true }), EVAL_FLAGS);
  command.addOption(new Option('--nodes <list>', `cluster sizes, comma-separated (integers from 1 to ${MAX_SERVERS})`).argParser(integerList('--nodes')).default([16], '16'));
  addSchemaOptions(command, EvalFlagsSchema.omit({ model: true }), EVAL_FLAGS);
  command.action(async (commanderFlags: Record<string, unknown>) => {
    const flags = readSchemaOptions(EvalFlagsSchema, commanderFlags, EVAL_FLAGS);
    const nodes = commanderFlags.nodes as number[];
    for (const n of nodes) if (n < 1 || n > MAX_SERVERS) throw new ConfigError('--nodes', `integers from 1 to ${MAX_SERVERS}`, n);
    await useBackend(flags.backend);
    // A run directory has its record; a bare model directory runs with the default env settings.
    const record = await readRunRecord(flags.model);
    const modelDir = record === null ? flags.model : join(flags.model, 'model');
    const network = await loadNetwork(modelDir);
    try {
      checkNodes(network, flags.model, nodes);
      const mask = (flags.invalidAction ?? record?.config.invalidAction) === 'mask';
      const results: EvaluationSummary[] = [];
      for (const n of nodes) {
        const policy = policyFromNetwork(network, { mask, mode: flags.policyMode, seed: 0 });
        results.push(evaluateChooser(modelDir, policy.act, { env: { ...(record?.config.env ?? {}), ...(record === null ? {} : methodEnv(record.config.method)), invalidAction: mask ? 'mask' : 'penalize' }, nodes: n, episodes: flags.episodes }));
      }
      printSummaries(results, flags.json);
    } finally {
      network.dispose();
    }
  });
}
