import { join } from 'node:path';
import { policyFromNetwork } from '@scale/agents';
import { loadNetwork, type Network, useBackend } from '@scale/model';
import { ConfigError } from '@scale/workload';
import { type Command, Option } from 'commander';
import { TrainedNodesMismatchError } from '../errors.js';
import { type EvaluationSummary, evaluateChooser } from '../evaluate.js';
import { type ExitStatus, integer, integerList } from '../internal/cli-options.js';
import { readRunRecord } from '../run-record.js';

interface EvalFlags {
  readonly model: string;
  readonly nodes: number[];
  readonly episodes: number;
  readonly policyMode: 'greedy' | 'sample';
  readonly backend: string;
  readonly json?: boolean;
}

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
    process.stdout.write(`N=${r.nodes}  episodes ${r.episodes.length}  mean response ${f(r.meanResponseTime)} s  p95 ${f(r.p95ResponseTime)} s  completed tasks ${f(r.completedTasks)}  (95% CI)\n`);
  }
}

/** `scale eval`: a trained model on the fixed evaluation episodes at one or more N. */
export function registerEval(program: Command, _exit: ExitStatus): void {
  program
    .command('eval')
    .description('evaluate a trained model on fixed drained episodes at one or more cluster sizes')
    .requiredOption('--model <dir>', 'a run directory (with config.json) or a model directory')
    .addOption(new Option('--nodes <list>', 'cluster sizes, comma-separated').argParser(integerList('--nodes')).default([16], '16'))
    .addOption(new Option('--episodes <n>', 'episodes per N').argParser(integer('--episodes')).default(30))
    .addOption(new Option('--policy-mode <mode>', 'greedy (argmax) or sample').choices(['greedy', 'sample']).default('greedy'))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).default('wasm'))
    .option('--json', 'print the results as JSON')
    .action(async (flags: EvalFlags) => {
      if (flags.episodes < 1) throw new ConfigError('--episodes', 'an integer >= 1', flags.episodes);
      for (const n of flags.nodes) if (n < 1) throw new ConfigError('--nodes', 'integers >= 1', n);
      await useBackend(flags.backend);
      // A run directory has its record; a bare model directory runs with the default env settings.
      const record = await readRunRecord(flags.model);
      const modelDir = record === null ? flags.model : join(flags.model, 'model');
      const network = await loadNetwork(modelDir);
      try {
        checkNodes(network, flags.model, flags.nodes);
        const mask = record?.config.invalidAction === 'mask';
        const results: EvaluationSummary[] = [];
        for (const nodes of flags.nodes) {
          const policy = policyFromNetwork(network, { mask, mode: flags.policyMode, seed: 0 });
          results.push(evaluateChooser(modelDir, policy.act, { env: { ...(record?.config.env ?? {}), invalidAction: mask ? 'mask' : 'penalize' }, nodes, episodes: flags.episodes }));
        }
        printSummaries(results, flags.json === true);
      } finally {
        network.dispose();
      }
    });
}
