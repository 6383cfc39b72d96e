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

/** Simulation options with DESIGN.md's defaults; every one overridable. */
export const SimulationOptionsSchema = z
  .object({
    /** Arrivals fall in [0, horizon); training episodes stop (truncated) at the horizon. */
    horizon: finitePositive.default(100),
    /** Evaluation: no arrivals after the horizon, run until every arrived task completes. */
    drain: z.boolean().default(false),
    /** Safety stop of a drained run (absolute simulated time); default 10 x horizon. */
    drainLimit: finitePositive.optional(),
    /** 'reward-only' (paper): transfers only shape the reward; 'delays-start': a child waits for its data. */
    communication: z.enum(['reward-only', 'delays-start']).default('reward-only'),
    /** 'penalize' (paper): an invalid choice waits `invalidActionDelay`; 'mask': an invalid choice is an error. */
    invalidAction: z.enum(['penalize', 'mask']).default('penalize'),
    /** `dt`: how far the clock moves on an invalid choice in penalize mode (s). */
    invalidActionDelay: finitePositive.default(0.1),
    /** Bandwidth B between servers (GB/s). */
    bandwidth: finitePositive.default(10),
    /** Base latency L of a transfer between servers (s). */
    latency: z.number().min(0).finite().default(0.01),
    /** Level-1 selection: the paper's longest hop-count path to a sink, or first-ready-first-served. */
    taskSelector: z.enum(['longest-path', 'fifo']).default('longest-path'),
    /** Joins, leaves and failures at given times (merged with servers' `upIntervals`). */
    elasticEvents: z.array(ElasticEventSchema).default([]),
  })
  .strict();
export type SimulationOptions = z.output<typeof SimulationOptionsSchema>;
export type SimulationOptionsInput = z.input<typeof SimulationOptionsSchema>;
