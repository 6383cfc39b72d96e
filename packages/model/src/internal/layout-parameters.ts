import type { ModelConfig } from '../config.js';
import { POLICY_OUTPUT_GAIN } from '../heads.js';
import type { ParameterStore } from '../params.js';
import { createMlp } from './ops.js';

/**
 * Declares issue 14's parameters: the global-context embedding, the pair-feature weights and the
 * defer heads. They come after every paper parameter, so with the same seed the paper's parameters
 * start from the same values whatever the layout (and a paper network has none of these).
 */
export function createLayoutParameters(config: ModelConfig, params: ParameterStore, featureSize: number): void {
  if (config.encoder !== 'cross-attention') return; // the config refuses these options for the mlp
  const globalFeatures = config.globalFeatures ?? 0;
  if (globalFeatures > 0) createMlp(params, 'encoder/global_embed', [globalFeatures, config.embedHidden, config.embedDim]);
  // A learned scalar per pair feature, from zero: at first the pointer alone scores a pair.
  const pairs = (config.pairFeatures ?? 0) > 0;
  const defer = config.defer === true;
  if (config.outputs.policy) {
    if (pairs) params.create('policy/pair/w', [1, 1], { kind: 'zeros' });
    if (defer) createMlp(params, 'policy/defer', [featureSize, config.embedHidden, 1], POLICY_OUTPUT_GAIN);
  }
  if (config.outputs.q) {
    if (pairs) params.create('q/pair/w', [1, 1], { kind: 'zeros' });
    if (defer) createMlp(params, 'q/defer', [featureSize, ...config.duelingHidden, 1]);
  }
}
