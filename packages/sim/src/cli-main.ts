import { writeFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, WfFormatError, WorkflowValidationError } from '@scale/workload';
import { z } from 'zod';
import { InfeasibleTaskError } from './errors.js';
import { ganttSvg } from './gantt.js';
import { makePolicy, POLICY_NAMES, ROLLOUT_PREFIX } from './policies.js';
import { runEpisode } from './run.js';
import { addSchemaOptions, givenSchemaOptions, readSchemaOptions, SchemaOptionError, type SchemaOptionsMeta } from './schema-options.js';
import { createSimulation, SimConfigSchema, type SimConfigInput } from './setup.js';

let currentProgramName = 'scale-sim';

/** A bad flag or input: one line on stderr, exit code 2. */
class UsageError extends Error {}

/** Settings of the program itself (not of the run); with `SimConfigSchema` they make every flag. */
export const ScaleSimProgramSchema = z
  .object({
    // A string, not an enum: besides the heuristics it takes `rollout-<h>[+<h>...]`; `makePolicy` checks the name.
    policy: z
      .string()
      .default('eft')
      .describe(`heuristic policy: one of ${POLICY_NAMES.join(', ')}; or ${ROLLOUT_PREFIX}<one or more of those joined by +>, the clairvoyant lookahead (slow: seconds per episode at N = 16)`),
    trace: z.string().optional().describe('write the schedule trace (JSON) to this file'),
    gantt: z.string().optional().describe('write a Gantt chart of the schedule (SVG) to this file'),
    json: z.boolean().default(false).describe('print the metrics as one JSON object on stdout'),
  })
  .strict();

/** Every `scale-sim` flag: the run's config and the program's settings, one schema field each. */
export const ScaleSimFlagsSchema = SimConfigSchema.extend(ScaleSimProgramSchema.shape).strict();

/** Flag names and value names where the field name alone would read worse; fields left to config files. */
export const SCALE_SIM_FLAG_META: SchemaOptionsMeta = {
  policy: { valueName: 'name' },
  nodes: { valueName: 'n' },
  seed: { valueName: 'n' },
  horizon: { valueName: 's' },
  drainLimit: { valueName: 's' },
  communication: { valueName: 'mode' },
  invalidAction: { valueName: 'mode' },
  invalidActionDelay: { valueName: 's' },
  bandwidth: { valueName: 'GB/s' },
  latency: { valueName: 's' },
  workload: { valueName: 'source' },
  lambda16: { valueName: 'rate' },
  arrivalRate: { valueName: 'rate' },
  load: { valueName: 'x' },
  referenceSpeed: { valueName: 'GFLOP/s' },
  'failures.mtbf': { flag: '--mtbf', valueName: 's' },
  'failures.mttr': { flag: '--mttr', valueName: 's' },
  scenario: { valueName: 'file' },
  trace: { valueName: 'file' },
  gantt: { valueName: 'file.svg' },
  generator: { skip: true },
};

function buildProgram(): Command {
  const program = new Command(currentProgramName).description(
    'Simulate workflow-DAG scheduling on a heterogeneous cluster with a heuristic policy (SCALE-TS).',
  );
  return addSchemaOptions(program, ScaleSimFlagsSchema, SCALE_SIM_FLAG_META).showSuggestionAfterError(false).exitOverride();
}

/** Runs the `scale-sim` command line on `argv` (flags only); returns the exit code. */
export function main(argv: readonly string[], programName = 'scale-sim'): number {
  currentProgramName = programName;
  const program = buildProgram();
  let errorText = '';
  // Help goes to stdout once, from here; commander's own writes are silenced.
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: (text) => (errorText = text) });
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' || error.exitCode === 0) {
        process.stdout.write(program.helpInformation());
        return 0;
      }
      return usage(firstLine(errorText || error.message).replace(/^error: /, ''));
    }
    throw error;
  }
  const given = program.opts();
  try {
    if ((given['mtbf'] === undefined) !== (given['mttr'] === undefined)) throw new UsageError('--mtbf and --mttr go together');
    const flags = readSchemaOptions(ScaleSimFlagsSchema, given, SCALE_SIM_FLAG_META);
    const { policy: _policy, trace: _trace, gantt: _gantt, json: _json, ...input } = givenSchemaOptions(ScaleSimFlagsSchema, given, SCALE_SIM_FLAG_META);
    return run(flags, input as SimConfigInput);
  } catch (error) {
    if (error instanceof SchemaOptionError) return usage(error.message);
    if (error instanceof ConfigError) return usage(`${flagName(error.field)}: expected ${error.expected}, got ${String(JSON.stringify(error.received))}`);
    if (error instanceof UsageError || error instanceof WfFormatError || error instanceof WorkflowValidationError || error instanceof InfeasibleTaskError) {
      return usage(error.message);
    }
    throw error;
  }
}

type Flags = z.output<typeof ScaleSimFlagsSchema>;

/** `input`: only the run settings given on the command line (a scenario's own config fills the rest). */
function run(flags: Flags, input: SimConfigInput): number {
  // The policy's name first: a bad one is reported before any work.
  const policy = makePolicy(flags.policy, { seed: flags.seed });
  const sim = createSimulation(input);
  runEpisode(sim, policy);
  const metrics = { ...sim.metrics(), outcome: sim.outcome, decisions: sim.decisions, deferrals: sim.deferrals };
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
      `lower bound            ${fmt(metrics.meanResponseTimeBound)} s (no schedule that completes every arrived task does better)`,
      `workflow response time ${fmt(metrics.meanWorkflowResponseTime)} s`,
      `utilization            ${fmt(metrics.utilization)}`,
      `energy                 ${fmt(metrics.energy / 1000)} kJ`,
      `makespan               ${fmt(metrics.makespan)} s`,
      `decisions              ${metrics.decisions}${metrics.deferrals > 0 ? `, deferrals ${metrics.deferrals}` : ''}${metrics.interruptedAttempts > 0 ? `, interrupted attempts ${metrics.interruptedAttempts}` : ''}`,
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
  if (path.startsWith('--') || path.includes('.') || path.includes('[')) return path; // already a flag, or a nested path
  return `--${path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? text;
}

function usage(message: string): number {
  process.stderr.write(`${currentProgramName}: ${message}\n`);
  return 2;
}

