export {
  NothingToResumeError,
  ReproductionLockedError,
  ReproductionMismatchError,
  ResultFileError,
  ResumeMismatchError,
  RunExistsError,
  RunRecordError,
  StaleResultError,
  TrainedNodesMismatchError,
  UsageError,
} from './errors.js';
export type { Chooser, EpisodeResult, EvaluationSetup, EvaluationSummary } from './evaluate.js';
export { EVALUATION_SEED_BASE, evaluateChooser, evaluateHeuristic } from './evaluate.js';
export type { EvaluationRecord, JobProgress, RecordedFeatureStatistics } from './jobs.js';
export type { DetectionCount } from './multiplicity.js';
export { CHANCE_DETECTION_RATE, detectionCounts } from './multiplicity.js';
export type { Budget, Comparison, EvaluateJob, Job, JobPlanOptions, Regime, TrainJob } from './plan.js';
export { FULL_BUDGET, JobPlan, PAPER_METHODS, PAPER_REGIME, QUICK_BUDGET, resolveBudget } from './plan.js';
export { exitCodeOf, main } from './program.js';
export type { QueueConnection } from './queue-connection.js';
export { parseQueueUrl, QueueUnavailableError, QueueUrlError } from './queue-connection.js';
export type { QueueCoordinatorOptions } from './queue-coordinator.js';
export { runJobsOnQueue } from './queue-coordinator.js';
export { QueuePayloadError } from './queue-jobs.js';
export type { QueueWorkerOptions } from './queue-worker.js';
export { runQueueWorker } from './queue-worker.js';
export type { ReproduceOptions, ReproduceResult } from './reproduce.js';
export { reproduce } from './reproduce.js';
export type { TableContext } from './results.js';
export type { RunRecord } from './run-record.js';
export { RunRecordSchema, readRunRecord, writeRunRecord } from './run-record.js';
export type { BootstrapOptions, Estimate, SeedEpisodeValues, Summary } from './statistics.js';
export {
  BOOTSTRAP_REPLICATES,
  BOOTSTRAP_SEED,
  BootstrapShapeError,
  bootstrap,
  describe,
  interquartileMean,
  mean,
  probabilityOfImprovement,
  summarize,
  tCritical95,
} from './statistics.js';
export type { Cell, CellValue, Claim, ClaimInput, Margin, Outcome, Over, Row, Table, Verdict } from './table.js';
export { bootstrapClaim, MIN_CLAIM_SEEDS, outcomeOf, renderCsv, renderMarkdown, unmeasurableClaim, verdictOf } from './table.js';
export type { ReportContext, Target, TargetFiles } from './target.js';
export { REGIMES } from './targets/regimes.js';
export { TABLE4_NODES } from './targets/table4.js';
export type { PlanOptions, ReproduceTarget, TargetId } from './targets.js';
export { expandTargets, PAPER, planJobs, REPRODUCE_TARGETS, TARGETS } from './targets.js';
export { actingNetwork, makeAgent, train } from './train.js';
export type { TrainConfig, TrainConfigInput } from './train-config.js';
export { resolveTrainConfig, TrainConfigSchema } from './train-config.js';
