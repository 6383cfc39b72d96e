import { parseConfig } from '@scale/workload';
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
    servers: z.number().int().min(1).max(100_000).optional(),
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
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.embedDim % config.attentionHeads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['attentionHeads'], message: `a divisor of embedDim (${config.embedDim})` });
    }
    if (config.encoder === 'mlp' && config.servers === undefined) {
      ctx.addIssue({ code: 'custom', path: ['servers'], message: 'an integer in [1, 100000] (the MLP encoder has a fixed N)' });
    }
    if (!config.outputs.policy && !config.outputs.value && !config.outputs.q) {
      ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'at least one of policy, value, q' });
    }
  });
export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

export function resolveModelConfig(input: ModelConfigInput = {}): ModelConfig {
  return parseConfig(ModelConfigSchema, input, 'model');
}
