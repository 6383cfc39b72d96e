import { type EnvLayout, envLayout } from '@scale/env';
import { SrrConfigSchema } from '@scale/srr';
import { ConfigError, parseConfig } from '@scale/workload';
import { z } from 'zod';

/**
 * How returns are discounted: `per-step` (the paper's: gamma per decision) or `per-second` (gamma
 * per second of simulated time, so the horizon does not shrink as decisions per second grow with N).
 */
export const DiscountSchema = z.enum(['per-step', 'per-second']);
export type Discount = z.output<typeof DiscountSchema>;

/**
 * What PPO subtracts from a step's return to get its advantage: `critic` (the paper's: GAE over the
 * learned V) or `input-driven` (Decima's: each epoch runs one episode per env on one shared arrival
 * sequence, and the baseline at simulated time s is the mean of the envs' returns-to-go from s;
 * `input-driven-baseline.ts`). With the response-time reward the random arrivals dominate the
 * return and no critic predicts them; the input-driven baseline cancels them.
 */
export const BaselineSchema = z.enum(['critic', 'input-driven']);
export type Baseline = z.output<typeof BaselineSchema>;

/**
 * The env settings a method needs (issue 14's swaps), named and valued as `@scale/env`'s config
 * fields, so the caller that builds the env spreads them into its config (`{ ...envConfig,
 * ...method.env }`). Absent = the paper's.
 */
export const MethodEnvSchema = z
  .object({
    /** `paper` (eq. 2) or `response-time` (minus the area under the number of unfinished tasks). */
    objective: z.enum(['paper', 'response-time']).optional(),
    /** `paper` (5 task + 5 server features) or `queue-aware` (plus backlog, waits, free times, global context). */
    observation: z.enum(['paper', 'queue-aware']).optional(),
    /** `server` (level 1 picks the task) or `task-and-server` (the agent scores every pair). */
    actions: z.enum(['server', 'task-and-server']).optional(),
    /** One extra action: hold the decision until the next event. */
    defer: z.boolean().optional(),
    /**
     * Cap on candidate tasks per decision (task-and-server), for the env and the model alike; absent =
     * their default (8). The response-time presets use 4: measured trade-off in the README.
     */
    candidates: z.number().int().min(1).max(64).optional(),
    /** Which ready tasks are the candidates (env's `candidateWindow`); absent = `level-1`. */
    candidateWindow: z.enum(['level-1', 'level-1-and-shortest']).optional(),
  })
  .strict();
export type MethodEnv = z.output<typeof MethodEnvSchema>;

/**
 * A method is `{ agent, encoder, srr }` (DESIGN.md section 1): every baseline and ablation is a swap
 * of these three, never a fork of code. Issue 14's methods add the env settings they learn under
 * (`env`) and how PPO discounts (`discount`); both are optional and absent from the paper's presets,
 * so a paper method (and every stored config.json and checkpoint) is unchanged.
 */
export const MethodSchema = z
  .object({
    /** `dagger` imitates an expert (`dagger.ts`); the others learn from the reward. */
    agent: z.enum(['ppo', 'dqn', 'sac', 'dagger']),
    encoder: z.enum(['cross-attention', 'mlp']),
    /** SRR on the encoder's feature (the scored tasks' attention features), or null for none. */
    srr: SrrConfigSchema.nullable(),
    /** The env settings the method learns under; absent = the paper's. */
    env: MethodEnvSchema.optional(),
    /** PPO's discounting (a PPO config's own `discount` takes precedence); absent = `per-step`. */
    discount: DiscountSchema.optional(),
    /** PPO divides rewards by the discounted return's running std (a PPO config's own setting takes precedence); absent = off. */
    normalizeReturns: z.boolean().optional(),
    /** PPO's advantage baseline (a PPO config's own `baseline` takes precedence); absent = `critic`. */
    baseline: BaselineSchema.optional(),
  })
  .strict()
  .superRefine((method, ctx) => {
    if (method.discount === 'per-second' && method.agent !== 'ppo') {
      ctx.addIssue({ code: 'custom', path: ['discount'], message: `"per-step" with agent ${method.agent} (per-second discounting is PPO's GAE)` });
    }
    if (method.normalizeReturns === true && method.agent !== 'ppo') {
      ctx.addIssue({ code: 'custom', path: ['normalizeReturns'], message: `false with agent ${method.agent} (return normalization is PPO's)` });
    }
    if (method.baseline === 'input-driven' && method.agent !== 'ppo') {
      ctx.addIssue({ code: 'custom', path: ['baseline'], message: `"critic" with agent ${method.agent} (the input-driven baseline is PPO's)` });
    }
    const extended = method.env?.actions === 'task-and-server' || method.env?.defer === true;
    if (extended && method.encoder === 'mlp') {
      ctx.addIssue({ code: 'custom', path: ['encoder'], message: '"cross-attention" with task-and-server actions or defer (the mlp encoder scores the N servers of one task)' });
    }
  });
export type Method = z.output<typeof MethodSchema>;
export type MethodInput = z.input<typeof MethodSchema>;

/**
 * Issue 14's setting: the response-time objective, queue-aware observations, the agent picking
 * (task, server) pairs and able to wait, and per-second discounting (decisions per second grow with
 * N; a per-decision gamma would shorten the horizon in seconds as the cluster grows). Their PPO
 * divides rewards by the discounted return's running std (`normalizeReturns`): without it the
 * critic's gradient swamps the policy's under the global norm clip and the policy does not move.
 * Their 4 candidates are the 2 first ready tasks in level-1 order and the 2 shortest of the rest:
 * with the first 4 in level-1 order, the shortest ready task lay beyond the window at 63% (load x1.25)
 * and 82% (load x1.5) of shortest-first's decisions, and shortest-first restricted to that window lost
 * most of its lead (README "Candidate window"; chosen after that measurement).
 */
const RESPONSE_TIME = { objective: 'response-time', observation: 'queue-aware', actions: 'task-and-server', defer: true, candidates: 4, candidateWindow: 'level-1-and-shortest' } as const;

/** The paper's six methods, the cross-attention variants of DQN and SAC the swap gives for free, issue 14's, and their imitation twins. */
export const METHOD_PRESETS = {
  scale: { agent: 'ppo', encoder: 'cross-attention', srr: {} },
  crossattn: { agent: 'ppo', encoder: 'cross-attention', srr: null },
  ppo: { agent: 'ppo', encoder: 'mlp', srr: null },
  'ppo-srr': { agent: 'ppo', encoder: 'mlp', srr: {} },
  dqn: { agent: 'dqn', encoder: 'mlp', srr: null },
  sac: { agent: 'sac', encoder: 'mlp', srr: null },
  'dqn-crossattn': { agent: 'dqn', encoder: 'cross-attention', srr: null },
  'sac-crossattn': { agent: 'sac', encoder: 'cross-attention', srr: null },
  /** SCALE (cross-attention, SRR on) in issue 14's setting. */
  'scale-rt': { agent: 'ppo', encoder: 'cross-attention', srr: {}, env: RESPONSE_TIME, discount: 'per-second', normalizeReturns: true },
  /** The same without SRR. */
  'crossattn-rt': { agent: 'ppo', encoder: 'cross-attention', srr: null, env: RESPONSE_TIME, discount: 'per-second', normalizeReturns: true },
  /**
   * SCALE's network (cross-attention, SRR on) in issue 14's observation and action space, trained by
   * DAgger to imitate the clairvoyant one-step rollout (`@scale/env`'s `RolloutExpert`) instead of
   * from a reward: what a learned, online policy can take from an expert that sees the future.
   */
  'scale-il': { agent: 'dagger', encoder: 'cross-attention', srr: {}, env: RESPONSE_TIME },
  /** The same without SRR. */
  'crossattn-il': { agent: 'dagger', encoder: 'cross-attention', srr: null, env: RESPONSE_TIME },
} as const satisfies Record<string, MethodInput>;
export type MethodPreset = keyof typeof METHOD_PRESETS;

/** A preset name or an explicit method, validated. */
export function resolveMethod(method: MethodPreset | string | MethodInput): Method {
  if (typeof method === 'string') {
    const preset = (METHOD_PRESETS as Record<string, MethodInput>)[method];
    if (preset === undefined) throw new ConfigError('method', `one of ${Object.keys(METHOD_PRESETS).join(', ')}`, method);
    return parseConfig(MethodSchema, preset, 'method');
  }
  return parseConfig(MethodSchema, method, 'method');
}

/**
 * The model config a method's `env` asks for: `@scale/env`'s `envLayout` of it (the feature widths
 * `taskFeatures`, `serverFeatures`, `globalFeatures`, `pairFeatures`, and `actions`, `defer`,
 * `candidates`), so a network matches the env the method's settings build. Empty for a method without
 * `env` (the paper's), so its model config gains no key.
 */
export function methodModelLayout(method: Method): Partial<EnvLayout> {
  if (method.env === undefined) return {};
  const { observation, actions, defer, candidates } = method.env;
  return envLayout({
    ...(observation === undefined ? {} : { observation }),
    ...(actions === undefined ? {} : { actions }),
    ...(defer === undefined ? {} : { defer }),
    ...(candidates === undefined ? {} : { candidates }),
  });
}
