import { writeFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, WfFormatError, WorkflowValidationError } from '@scale/workload';
import { InfeasibleTaskError } from './errors.js';
import { ganttSvg } from './gantt.js';
import { makePolicy, POLICY_NAMES } from './policies.js';
import { runEpisode } from './run.js';
import { createSimulation, type SimConfigInput } from './setup.js';

let currentProgramName = 'scale-sim';

/** A bad flag or input: one line on stderr, exit code 2. */
class UsageError extends Error {}

function number(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
    return parsed;
  };
}

function buildProgram(): Command {
  return new Command(currentProgramName)
    .description('Simulate workflow-DAG scheduling on a heterogeneous cluster with a heuristic policy (SCALE-TS).')
    .addOption(new Option('--nodes <n>', 'cluster size N, paper 2:5:1 tiers (integer >= 1)').argParser(number('--nodes')).default(16))
    .addOption(new Option('--policy <name>', 'heuristic policy').choices(POLICY_NAMES).default('eft'))
    .addOption(new Option('--seed <n>', 'seed of workload, failures and random policy (integer >= 0)').argParser(number('--seed')).default(0))
    .addOption(new Option('--horizon <s>', 'arrivals fall in [0, horizon) seconds (> 0)').argParser(number('--horizon')))
    .option('--drain', 'after the horizon, run until every arrived task completes')
    .addOption(new Option('--drain-limit <s>', 'safety stop of a drained run (s, >= horizon; default 10 x horizon)').argParser(number('--drain-limit')))
    .addOption(new Option('--communication <mode>', 'transfer cost model').choices(['reward-only', 'delays-start']))
    .addOption(new Option('--invalid-action <mode>', 'invalid-choice handling (heuristics always choose valid servers)').choices(['penalize', 'mask']))
    .addOption(new Option('--task-selector <name>', 'level-1 task selection').choices(['longest-path', 'fifo']))
    .option('--workload <source>', 'paper | wfformat:PATH (a WfFormat file or folder)', 'paper')
    .addOption(new Option('--lambda16 <rate>', 'workflows/s at N=16, scaled by N/16 (paper workload, > 0)').argParser(number('--lambda16')))
    .addOption(new Option('--arrival-rate <rate>', 'workflows/s, overriding lambda16 scaling (> 0)').argParser(number('--arrival-rate')))
    .addOption(new Option('--load <x>', 'wfformat: offered compute / cluster compute (> 0; default 0.75)').argParser(number('--load')))
    .addOption(new Option('--mtbf <s>', 'random failures: mean time between failures per server (s, > 0)').argParser(number('--mtbf')))
    .addOption(new Option('--mttr <s>', 'random failures: mean time to repair (s, > 0)').argParser(number('--mttr')))
    .option('--scenario <file>', 'run a scenario file (servers and workflows; upIntervals schedule joins and failures)')
    .option('--trace <file>', 'write the schedule trace (JSON) to this file')
    .option('--gantt <file.svg>', 'write a Gantt chart of the schedule (SVG) to this file')
    .option('--json', 'print the metrics as one JSON object on stdout')
    .showSuggestionAfterError(false)
    .exitOverride();
}

interface Flags {
  nodes: number;
  policy: string;
  seed: number;
  horizon?: number;
  drain?: boolean;
  drainLimit?: number;
  communication?: 'reward-only' | 'delays-start';
  invalidAction?: 'penalize' | 'mask';
  taskSelector?: 'longest-path' | 'fifo';
  workload: string;
  lambda16?: number;
  arrivalRate?: number;
  load?: number;
  mtbf?: number;
  mttr?: number;
  scenario?: string;
  trace?: string;
  gantt?: string;
  json?: boolean;
}

/** Runs the `scale-sim` command line on `argv` (flags only); returns the exit code. */
export function main(argv: readonly string[], programName = 'scale-sim'): number {
  currentProgramName = programName;
  const program = buildProgram();
  let errorText = '';
  program.configureOutput({ writeErr: () => undefined, outputError: (text) => (errorText = text) });
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
        process.stdout.write(program.helpInformation());
        return 0;
      }
      return usage(firstLine(errorText || error.message).replace(/^error: /, ''));
    }
    throw error;
  }
  const flags = program.opts<Flags>();
  try {
    return run(flags);
  } catch (error) {
    if (error instanceof ConfigError) return usage(`${flagName(error.field)}: expected ${error.expected}, got ${String(JSON.stringify(error.received))}`);
    if (error instanceof UsageError || error instanceof WfFormatError || error instanceof WorkflowValidationError || error instanceof InfeasibleTaskError) {
      return usage(error.message);
    }
    throw error;
  }
}

function run(flags: Flags): number {
  if ((flags.mtbf === undefined) !== (flags.mttr === undefined)) throw new UsageError('--mtbf and --mttr go together');
  const config: SimConfigInput = {
    nodes: flags.nodes,
    seed: flags.seed,
    workload: flags.workload as SimConfigInput['workload'] & string,
    ...(flags.horizon !== undefined && { horizon: flags.horizon }),
    ...(flags.drain !== undefined && { drain: flags.drain }),
    ...(flags.drainLimit !== undefined && { drainLimit: flags.drainLimit }),
    ...(flags.communication !== undefined && { communication: flags.communication }),
    ...(flags.invalidAction !== undefined && { invalidAction: flags.invalidAction }),
    ...(flags.taskSelector !== undefined && { taskSelector: flags.taskSelector }),
    ...(flags.lambda16 !== undefined && { lambda16: flags.lambda16 }),
    ...(flags.arrivalRate !== undefined && { arrivalRate: flags.arrivalRate }),
    ...(flags.load !== undefined && { load: flags.load }),
    ...(flags.scenario !== undefined && { scenario: flags.scenario }),
    ...(flags.mtbf !== undefined && flags.mttr !== undefined && { failures: { mtbf: flags.mtbf, mttr: flags.mttr } }),
  };
  const sim = createSimulation(config);
  const policy = makePolicy(flags.policy, { seed: flags.seed });
  runEpisode(sim, policy);
  const metrics = { ...sim.metrics(), outcome: sim.outcome, decisions: sim.decisions };
  if (flags.trace !== undefined || flags.gantt !== undefined) {
    const trace = sim.trace({ seed: flags.seed, policy: policy.name });
    if (flags.trace !== undefined) writeOutput(flags.trace, `${JSON.stringify(trace)}\n`, '--trace');
    if (flags.gantt !== undefined) {
      writeOutput(flags.gantt, ganttSvg(trace, { title: `${policy.name}, N=${sim.serverCount}, seed ${flags.seed}: mean response ${fmt(metrics.meanResponseTime)} s` }), '--gantt');
    }
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ policy: policy.name, nodes: sim.serverCount, seed: flags.seed, ...metrics })}\n`);
  } else {
    const lines = [
      `policy ${policy.name}, N=${sim.serverCount}, seed ${flags.seed}, ${sim.options.communication}, ${sim.outcome} at t=${fmt(metrics.time)} s`,
      `tasks completed        ${metrics.completedTasks} / ${metrics.arrivedTasks} (workflows ${metrics.completedWorkflows} / ${metrics.arrivedWorkflows})`,
      `mean response time     ${fmt(metrics.meanResponseTime)} s (p50 ${fmt(metrics.p50ResponseTime)}, p95 ${fmt(metrics.p95ResponseTime)}, p99 ${fmt(metrics.p99ResponseTime)})`,
      `workflow response time ${fmt(metrics.meanWorkflowResponseTime)} s`,
      `utilization            ${fmt(metrics.utilization)}`,
      `energy                 ${fmt(metrics.energy / 1000)} kJ`,
      `makespan               ${fmt(metrics.makespan)} s`,
      `decisions              ${metrics.decisions}${metrics.interruptedAttempts > 0 ? `, interrupted attempts ${metrics.interruptedAttempts}` : ''}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

function writeOutput(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new UsageError(`${flag}: cannot write ${path} (${(error as Error).message})`);
  }
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : Number(value.toFixed(4)).toString();
}

/** `config.drainLimit` -> `--drain-limit`; nested fields keep their path. */
function flagName(field: string): string {
  const path = field.replace(/^config\./, '');
  if (path.startsWith('options.')) return flagName(path.slice('options.'.length));
  if (path.includes('.') || path.includes('[')) return path;
  return `--${path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? text;
}

function usage(message: string): number {
  process.stderr.write(`${currentProgramName}: ${message}\n`);
  return 2;
}

