import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '@scale/workload';
import { z } from 'zod';
import { decorrelationLoss, klToStandardNormalLoss } from './losses.js';

/** SRR's weights and warm-up (DESIGN.md section 3); every value configurable. */
export const SrrConfigSchema = z
  .object({
    /** Weight of the decorrelation term (stated: 0.01). */
    lambdaDecor: z.number().min(0).finite().default(0.01),
    /** Weight of the KL term (stated: 0.001). */
    lambdaKl: z.number().min(0).finite().default(0.001),
    /** The regularizer is off through this epoch (epochs count from 1; stated: 10). */
    warmupStart: z.number().int().min(0).default(10),
    /** Epochs from off to full weight (stated: full at epoch 60, so 50). */
    warmupEpochs: z.number().int().min(1).default(50),
  })
  .strict();
export type SrrConfig = z.output<typeof SrrConfigSchema>;
export type SrrConfigInput = z.input<typeof SrrConfigSchema>;

export function resolveSrrConfig(input: SrrConfigInput = {}): SrrConfig {
  return parseConfig(SrrConfigSchema, input, 'srr');
}

/** The warm-up weight `clamp((epoch - warmupStart) / warmupEpochs, 0, 1)`: 0 through epoch 10, 1 from 60. */
export function srrWeight(epoch: number, config: SrrConfig): number {
  return Math.min(1, Math.max(0, (epoch - config.warmupStart) / config.warmupEpochs));
}

/** The SRR loss added to the RL loss, with its parts (unweighted terms, for logging). */
export interface SrrLoss {
  /** `w(epoch) * (lambdaDecor * L_decor + lambdaKl * L_kl)`: add this to the policy loss. */
  readonly total: tf.Scalar;
  readonly decorrelation: tf.Scalar;
  readonly kl: tf.Scalar;
  readonly weight: number;
}

/**
 * SRR on a minibatch of attention features (paper section 4.3):
 * `w(epoch) * (lambda_decor * L_decor + lambda_kl * L_kl)`. Call it inside the training step's
 * `tf.tidy` (or dispose the returned tensors) like any other loss term.
 */
export function srrLoss(features: tf.Tensor2D, epoch: number, config: SrrConfig): SrrLoss {
  const weight = srrWeight(epoch, config);
  const decorrelation = decorrelationLoss(features);
  const kl = klToStandardNormalLoss(features);
  const total = tf.mul(weight, tf.add(tf.mul(config.lambdaDecor, decorrelation), tf.mul(config.lambdaKl, kl))) as tf.Scalar;
  return { total, decorrelation, kl, weight };
}
