import * as tf from '@tensorflow/tfjs';
import { type Network, type ObservationBatch, batchTensors, packTensors, weightedSum } from '@scale/model';
import { type MomentsData, type SrrConfig, combineMoments, momentsOf, srrGradient } from '@scale/srr';
import { ppoLossGradient } from './ppo-loss.js';

/** The arrays of one minibatch shard (a whole minibatch on one thread). */
export interface ShardArrays {
  readonly batch: ObservationBatch;
  /** Each row's action as a batch column (`batchActions`): the server index in a paper batch. */
  readonly actions: Int32Array;
  readonly oldLogProbs: Float32Array;
  /** Normalized over the whole minibatch before it was cut. */
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** This shard's share of the minibatch's rows (1 for a whole minibatch). */
  readonly weight: number;
}

/** The loss settings a shard's gradient needs (the same on every thread). */
export interface PpoShardSettings {
  readonly clipCoef: number;
  readonly entCoef: number;
  readonly vfCoef: number;
  /** Mask mode: invalid actions' logits are masked. */
  readonly mask: boolean;
  readonly srr: SrrConfig | null;
  readonly epoch: number;
}

/** Trades this shard's feature moments for the other shards' (combined); blocks until they arrive. */
export type MomentsExchange = (local: MomentsData) => MomentsData;

/**
 * What a gradient step reports. The PPO terms (`ppoLoss` to `clipFraction`) are means over the
 * minibatch, a shard giving its share (so they add up over shards); the SRR terms are the whole
 * minibatch's (the same on every shard; 0 with SRR off).
 */
export interface MinibatchDiagnostics {
  /** policyLoss - entCoef entropy + vfCoef valueLoss. */
  ppoLoss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  srrDecorrelation: number;
  srrKl: number;
  /** SRR's weighted total, w(epoch) (decorrelation and KL terms), as added to the loss. */
  srrTotal: number;
  /** SRR's warm-up weight w(epoch). */
  srrWeight: number;
}

/** The fields of `MinibatchDiagnostics` that add up over shards. */
export const ADDITIVE_DIAGNOSTICS = ['ppoLoss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction'] as const satisfies readonly (keyof MinibatchDiagnostics)[];

/** A minibatch's (or shard's) packed gradient, in the network's variable order, and its diagnostics. */
export interface MinibatchGradient {
  readonly gradients: Float32Array;
  readonly diagnostics: MinibatchDiagnostics;
}

/**
 * Computes a minibatch's gradient from its shards: the one seam between PPO's update and how many
 * threads work on it (`SingleThreadGradients` here, `GradientThreads` for k > 1).
 */
export interface GradientComputer {
  /** The most shards `compute` takes (the thread count). */
  readonly threads: number;
  /** The summed gradient of `shards` (in order, shard 0 on this thread) at `parameters`. */
  compute(shards: readonly ShardArrays[], epoch: number, parameters: Float32Array): MinibatchGradient;
  /** Stops whatever threads were started. */
  dispose(): void;
}

/** The whole minibatch on this thread, on the network's own variables. */
export class SingleThreadGradients implements GradientComputer {
  readonly threads = 1;

  constructor(
    private readonly network: Network,
    private readonly settings: Omit<PpoShardSettings, 'epoch'>,
  ) {}

  /**
   * `parameters` are the network's variables already (this thread trains them). Several shards are
   * groups of the one minibatch (rows padded separately, e.g. by candidate count), on one tape.
   */
  compute(shards: readonly ShardArrays[], epoch: number, _parameters: Float32Array): MinibatchGradient {
    if (shards.length < 1) throw new RangeError('SingleThreadGradients: expected at least 1 shard, received 0');
    return ppoShardGradients(this.network, shards.length === 1 ? (shards[0] as ShardArrays) : shards, { ...this.settings, epoch }, null);
  }

  dispose(): void {}
}

/**
 * The gradient of the PPO (+ SRR) loss on one shard of a minibatch, packed in the network's
 * variable order. The PPO terms are means over the whole minibatch (`shard.weight` = this shard's
 * share of its rows), so shards' gradients add up to the minibatch's. SRR needs the whole
 * minibatch's feature covariance: with `exchange` null the shard is the minibatch; otherwise the
 * shard's feature moments are pooled with the others' (`combineMoments`).
 *
 * A shard may come as several groups: sub-batches of its rows, each padded on its own (PPO groups a
 * task-and-server minibatch by candidate count, so a row with one candidate does not run seven padded
 * ones through the encoder). Their weights are their shares of the minibatch's rows; every group's
 * forward pass runs on the same tape, SRR sees all their rows at once, and one backward pass gives the
 * sum: the gradient of the same loss as one padded batch, up to float summation order.
 *
 * The forward pass runs on tfjs's tape; the loss and its gradient with respect to the network's
 * outputs (logits, values, SRR's features) are computed on the outputs read back
 * (`ppoLossGradient`, `srrGradient`); then one backward pass of `sum(outputs * their gradients)`,
 * whose parameter gradient is the loss's by the chain rule.
 */
export function ppoShardGradients(network: Network, shard: ShardArrays | readonly ShardArrays[], settings: PpoShardSettings, exchange: MomentsExchange | null): MinibatchGradient {
  const groups: readonly ShardArrays[] = isGroupList(shard) ? shard : [shard];
  const variables = network.trainableVariables();
  const diagnostics: MinibatchDiagnostics = { ppoLoss: 0, policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, srrDecorrelation: 0, srrKl: 0, srrTotal: 0, srrWeight: 0 };
  let gradients: Float32Array = new Float32Array(0);
  tf.tidy(() => {
    const inputs = groups.map((group) => batchTensors(group.batch, network.config.taskFeatures, network.config.serverFeatures));
    const { grads } = tf.variableGrads(() => {
      let surrogate: tf.Scalar | null = null;
      const scored: tf.Tensor2D[] = [];
      groups.forEach((group, index) => {
        const { batch } = group;
        const out = network.apply(inputs[index] as ReturnType<typeof batchTensors>);
        const logits = out.logits as tf.Tensor2D;
        const value = out.value as tf.Tensor1D;
        // 1. The PPO loss and its gradient with respect to the logits and values.
        const ppo = ppoLossGradient({
          logits: logits.dataSync(),
          values: value.dataSync(),
          // The batch's action columns: N in a paper batch, k N (+1 defer) with issue 14's fields.
          n: batch.actions ?? batch.n,
          actionMask: settings.mask ? batch.mask : null,
          actions: group.actions,
          oldLogProbs: group.oldLogProbs,
          advantages: group.advantages,
          returns: group.returns,
          clipCoef: settings.clipCoef,
          entCoef: settings.entCoef,
          vfCoef: settings.vfCoef,
          rowWeight: group.weight / batch.size,
        });
        const weighted = ppo.values;
        diagnostics.ppoLoss += weighted.loss;
        diagnostics.policyLoss += weighted.policyLoss;
        diagnostics.valueLoss += weighted.valueLoss;
        diagnostics.entropy += weighted.entropy;
        diagnostics.approxKl += weighted.approxKl;
        diagnostics.clipFraction += weighted.clipFraction;
        const term = tf.add(weightedSum(logits, ppo.logitGradient), weightedSum(value, ppo.valueGradient)) as tf.Scalar;
        surrogate = surrogate === null ? term : (tf.add(surrogate, term) as tf.Scalar);
        scored.push(out.candidateFeatures);
      });
      // 2. SRR on the attention features of the scored tasks (one row per present candidate; the
      //    state feature itself in a paper batch), every group's rows together: the minibatch's
      //    (pooled) moments, this shard's rows of the gradient.
      if (settings.srr !== null) {
        const featureSize = (scored[0] as tf.Tensor2D).shape[1];
        const reads = scored.map((t) => t.dataSync() as Float32Array);
        const features = reads.length === 1 ? (reads[0] as Float32Array) : concatenate(reads);
        const featureRows = features.length / featureSize;
        const local = momentsOf(features, featureRows, featureSize);
        const srr = srrGradient(features, featureRows, exchange === null ? local : combineMoments(local, exchange(local)), settings.epoch, settings.srr);
        diagnostics.srrDecorrelation = srr.decorrelation;
        diagnostics.srrKl = srr.kl;
        diagnostics.srrTotal = srr.total;
        diagnostics.srrWeight = srr.weight;
        let offset = 0;
        for (const rows of scored) {
          const part = srr.gradient.subarray(offset, offset + rows.size);
          offset += rows.size;
          surrogate = tf.add(surrogate as tf.Scalar, weightedSum(rows, part)) as tf.Scalar;
        }
      }
      // 3. Backpropagate: d surrogate / d parameters = d loss / d parameters.
      return surrogate as tf.Scalar;
    }, variables);
    gradients = packTensors(variables.map((v) => grads[v.name] as tf.Tensor));
  });
  return { gradients, diagnostics };
}

function isGroupList(shard: ShardArrays | readonly ShardArrays[]): shard is readonly ShardArrays[] {
  return Array.isArray(shard);
}

function concatenate(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
