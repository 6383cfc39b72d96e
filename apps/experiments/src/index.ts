export { main } from './program.js';
export { TrainConfigSchema, resolveTrainConfig, makeAgent, actingNetwork, train } from './train.js';
export type { TrainConfig, TrainConfigInput } from './train.js';
export { EVALUATION_SEED_BASE, evaluateChooser, evaluateHeuristic, networkChooser } from './evaluate.js';
export type { Chooser, EpisodeResult, EvaluationSetup, EvaluationSummary } from './evaluate.js';
export { summarize, tCritical95 } from './statistics.js';
export type { Summary } from './statistics.js';
