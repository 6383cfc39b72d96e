import { z } from 'zod';

const finitePositive = z.number().positive().finite();

/** A join, leave or failure of one server at a given time (elastic clusters, DESIGN.md section 2). */
export const ElasticEventSchema = z
  .object({
    time: z.number().min(0).finite(),
    kind: z.enum(['join', 'leave', 'fail']),
    server: z.number().int().min(0),
  })
  .strict();
export type ElasticEvent = z.output<typeof ElasticEventSchema>;

/**
 * Simulation options with DESIGN.md's defaults; every one overridable. Each field's `.describe()` is
 * its documentation and its command-line help (the CLIs generate their flags from this schema).
 */
export const SimulationOptionsSchema = z
  .object({
    horizon: finitePositive.default(100).describe('arrivals fall in [0, horizon) seconds; training episodes stop (truncated) there'),
    drain: z.boolean().default(false).describe('after the horizon, run until every arrived task completes (evaluation)'),
    drainLimit: finitePositive.optional().describe('safety stop of a drained run (absolute s, >= horizon; default 10 x horizon)'),
    communication: z
      .enum(['reward-only', 'delays-start'])
      .default('reward-only')
      .describe("transfer cost model: 'reward-only' (paper) shapes the reward only; 'delays-start' makes a child wait for its data"),
    invalidAction: z
      .enum(['penalize', 'mask'])
      .default('penalize')
      .describe("invalid choices: 'penalize' (paper) waits invalidActionDelay; 'mask' makes them an error (heuristics always choose valid servers)"),
    invalidActionDelay: finitePositive.default(0.1).describe('how far the clock moves on an invalid choice in penalize mode (s)'),
    bandwidth: finitePositive.default(10).describe('bandwidth B between servers (GB/s)'),
    latency: z.number().min(0).finite().default(0.01).describe('base latency L of a transfer between servers (s)'),
    taskSelector: z
      .enum(['longest-path', 'fifo'])
      .default('longest-path')
      .describe("level-1 task selection: the paper's longest hop-count path to a sink, or first ready first served"),
    elasticEvents: z.array(ElasticEventSchema).default([]).describe("joins, leaves and failures at given times (merged with servers' upIntervals)"),
  })
  .strict();
export type SimulationOptions = z.output<typeof SimulationOptionsSchema>;
export type SimulationOptionsInput = z.input<typeof SimulationOptionsSchema>;
