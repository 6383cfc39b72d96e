import { MAX_SERVERS, parseConfig } from '@scale/workload';
import { z } from 'zod';

const width = z.number().int().min(1).max(4096);

/**
 * One network: an encoder and the heads on it (DESIGN.md sections 3 and 4). Every default is the
 * paper's stated value or our documented choice.
 */
export const ModelConfigSchema = z
  .object({
    /** `cross-attention` (SCALE, any N) or `mlp` (the structured MLP baseline, fixed N). */
    encoder: z.enum(['cross-attention', 'mlp']).default('cross-attention'),
    /** Task and per-server feature counts (the env's layout: 5 and 5). */
    taskFeatures: z.number().int().min(1).max(64).default(5),
    serverFeatures: z.number().int().min(1).max(64).default(5),
    /** Cross-attention: embedding width d (stated: 16). */
    embedDim: width.default(16),
    /** Cross-attention: attention heads (stated: 4); must divide embedDim. */
    attentionHeads: z.number().int().min(1).max(64).default(4),
    /** Cross-attention: number of blocks (stated: 2). */
    blocks: z.number().int().min(1).max(16).default(2),
    /** Cross-attention: FFN hidden width (chosen: 4d = 64). */
    ffnHidden: width.default(64),
    /** Cross-attention: hidden width of the 2-layer ReLU embedding MLPs (chosen: d = 16). */
    embedHidden: width.default(16),
    /** MLP encoder: hidden layers of the task branch and of the flattened-server branch (chosen: [64, 64]). */
    mlpHidden: z.array(width).min(1).max(8).default([64, 64]),
    /** MLP encoder: the fixed server count N it is built for (required for `mlp`). */
    servers: z.number().int().min(1).max(MAX_SERVERS).optional(),
    /** Critic hidden layers (stated: d -> 64 -> 64 -> 1, ReLU). */
    criticHidden: z.array(width).min(1).max(8).default([64, 64]),
    /** Hidden layers of each dueling stream (MLP Q head; chosen: [64]). */
    duelingHidden: z.array(width).min(1).max(8).default([64]),
    /** Which heads the network carries: pointer/linear policy logits, state value, per-action Q. */
    outputs: z
      .object({ policy: z.boolean().default(true), value: z.boolean().default(true), q: z.boolean().default(false) })
      .strict()
      .default({ policy: true, value: true, q: false }),
    /** Seed of the parameter initialisation (through the project's RNG). */
    seed: z.number().int().default(0),
    // Issue 14's action and observation options. Optional rather than defaulted, so a paper network's
    // stored config (checkpoints, results/) stays byte-identical; `modelLayout` resolves the defaults.
    /**
     * `server` (the paper's, default): the policy scores the N servers for the level-1 task.
     * `task-and-server`: it scores every (candidate task, server) pair (cross-attention only).
     */
    actions: z.enum(['server', 'task-and-server']).optional(),
    /** One extra last action, "defer" (hold the decision until the next event); default false. */
    defer: z.boolean().optional(),
    /** Width G of the observation's global context (0 = none, the default). */
    globalFeatures: z.number().int().min(0).max(64).optional(),
    /** Task-dependent features per (candidate, server) pair: 0 (default) or 1 (the transfer cost). */
    pairFeatures: z.union([z.literal(0), z.literal(1)]).optional(),
    /** Cap on candidate tasks per decision in `task-and-server` mode (default 8): bounds the cost at large N. */
    candidates: z.number().int().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.embedDim % config.attentionHeads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['attentionHeads'], message: `a divisor of embedDim (${config.embedDim})` });
    }
    if (config.encoder === 'mlp' && config.servers === undefined) {
      ctx.addIssue({ code: 'custom', path: ['servers'], message: `an integer in [1, ${MAX_SERVERS}] (the MLP encoder has a fixed N)` });
    }
    if (config.encoder === 'mlp') {
      // The MLP's input and output sizes fix N and one query: it has no per-pair score, no defer head, no global input.
      const why = '(the mlp encoder scores the N servers of one task; use encoder cross-attention)';
      if (config.actions === 'task-and-server') ctx.addIssue({ code: 'custom', path: ['actions'], message: `"server" with encoder mlp ${why}` });
      if (config.defer === true) ctx.addIssue({ code: 'custom', path: ['defer'], message: `false with encoder mlp ${why}` });
      if ((config.globalFeatures ?? 0) > 0) ctx.addIssue({ code: 'custom', path: ['globalFeatures'], message: `0 with encoder mlp ${why}` });
      if ((config.pairFeatures ?? 0) > 0) ctx.addIssue({ code: 'custom', path: ['pairFeatures'], message: `0 with encoder mlp ${why}` });
    }
    if (!config.outputs.policy && !config.outputs.value && !config.outputs.q) {
      ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'at least one of policy, value, q' });
    }
  });
export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** What a network's observations carry and what its actions are, with issue 14's defaults resolved. */
export interface ModelLayout {
  readonly actions: 'server' | 'task-and-server';
  readonly defer: boolean;
  readonly globalFeatures: number;
  readonly pairFeatures: 0 | 1;
  /** Candidate cap (task-and-server); 1 in server mode. */
  readonly candidates: number;
  /** True when every option is the paper's: the network computes exactly the paper's function. */
  readonly paper: boolean;
}

export const DEFAULT_CANDIDATES = 8;

export function modelLayout(config: ModelConfig): ModelLayout {
  const actions = config.actions ?? 'server';
  const defer = config.defer ?? false;
  const globalFeatures = config.globalFeatures ?? 0;
  const pairFeatures = config.pairFeatures ?? 0;
  const candidates = actions === 'server' ? 1 : (config.candidates ?? DEFAULT_CANDIDATES);
  return { actions, defer, globalFeatures, pairFeatures, candidates, paper: actions === 'server' && !defer && globalFeatures === 0 && pairFeatures === 0 };
}

export function resolveModelConfig(input: ModelConfigInput = {}): ModelConfig {
  return parseConfig(ModelConfigSchema, input, 'model');
}
