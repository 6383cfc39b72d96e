import { SrrConfigSchema } from '@scale/srr';
import { ConfigError, parseConfig } from '@scale/workload';
import { z } from 'zod';

/**
 * A method is `{ agent, encoder, srr }` (DESIGN.md section 1): every baseline and ablation is a swap
 * of these three, never a fork of code.
 */
export const MethodSchema = z
  .object({
    agent: z.enum(['ppo', 'dqn', 'sac']),
    encoder: z.enum(['cross-attention', 'mlp']),
    /** SRR on the encoder's feature, or null for none. */
    srr: SrrConfigSchema.nullable(),
  })
  .strict();
export type Method = z.output<typeof MethodSchema>;
export type MethodInput = z.input<typeof MethodSchema>;

/** The paper's six methods, plus the cross-attention variants of DQN and SAC the swap gives for free. */
export const METHOD_PRESETS = {
  scale: { agent: 'ppo', encoder: 'cross-attention', srr: {} },
  crossattn: { agent: 'ppo', encoder: 'cross-attention', srr: null },
  ppo: { agent: 'ppo', encoder: 'mlp', srr: null },
  'ppo-srr': { agent: 'ppo', encoder: 'mlp', srr: {} },
  dqn: { agent: 'dqn', encoder: 'mlp', srr: null },
  sac: { agent: 'sac', encoder: 'mlp', srr: null },
  'dqn-crossattn': { agent: 'dqn', encoder: 'cross-attention', srr: null },
  'sac-crossattn': { agent: 'sac', encoder: 'cross-attention', srr: null },
} as const satisfies Record<string, MethodInput>;
export type MethodPreset = keyof typeof METHOD_PRESETS;

/** A preset name or an explicit `{ agent, encoder, srr }`, validated. */
export function resolveMethod(method: MethodPreset | string | MethodInput): Method {
  if (typeof method === 'string') {
    const preset = (METHOD_PRESETS as Record<string, MethodInput>)[method];
    if (preset === undefined) throw new ConfigError('method', `one of ${Object.keys(METHOD_PRESETS).join(', ')}`, method);
    return parseConfig(MethodSchema, preset, 'method');
  }
  return parseConfig(MethodSchema, method, 'method');
}
