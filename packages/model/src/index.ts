export { BACKENDS, BackendUnavailableError, currentBackend, useBackend } from './backend.js';
export type { BackendName } from './backend.js';
export { DEFAULT_CANDIDATES, ModelConfigSchema, modelLayout, resolveModelConfig } from './config.js';
export type { ModelConfig, ModelConfigInput, ModelLayout } from './config.js';
export { ParameterStore } from './params.js';
export type { Initializer } from './params.js';
export { actionCount, batchActionIndex, batchActions, batchObservations, batchTensors, MASKED_LOGIT, maskLogits, observationActionIndex } from './batch.js';
export type { BatchTensors, ObservationBatch, ObservationLike } from './batch.js';
export { CrossAttentionEncoder, MlpEncoder, createEncoder } from './encoder.js';
export type { Encoder, EncoderOutput } from './encoder.js';
export { deferLogit, deferQ, POLICY_OUTPUT_GAIN, policyLogits, qValues, stateValue } from './heads.js';
export { Network } from './network.js';
export type { NetworkOutput, NetworkPrediction } from './network.js';
export { FastNetwork } from './fast.js';
export type { FastOutput } from './fast.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  fileSystemIO,
  loadNetwork,
  loadNetworkArrays,
  networkArrays,
  readCheckpoint,
  saveNetwork,
  writeCheckpoint,
} from './checkpoint.js';
export type { NamedArray } from './checkpoint.js';
export { CheckpointError, KernelInputError, ObservationLayoutError, ServerCountMismatchError } from './errors.js';
export { PackedAdam, packTensors } from './optimizer.js';
export { weightedSum } from './weighted-sum.js';
export type { AdamOptions, AdamState, AdamStepResult } from './optimizer.js';
