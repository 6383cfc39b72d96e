export { main, exitCodeOf } from './program.js';
export { TrainConfigSchema, resolveTrainConfig } from './train-config.js';
export type { TrainConfig, TrainConfigInput } from './train-config.js';
export { makeAgent, actingNetwork, train } from './train.js';
export { RunRecordSchema, readRunRecord, writeRunRecord } from './run-record.js';
export type { RunRecord } from './run-record.js';
export {
  NothingToResumeError,
  ReproductionLockedError,
  ReproductionMismatchError,
  ResumeMismatchError,
  RunExistsError,
  RunRecordError,
  StaleResultError,
  TrainedNodesMismatchError,
  UsageError,
} from './errors.js';
export type { EvaluationRecord, JobProgress } from './jobs.js';
export { EVALUATION_SEED_BASE, evaluateChooser, evaluateHeuristic } from './evaluate.js';
export type { Chooser, EpisodeResult, EvaluationSetup, EvaluationSummary } from './evaluate.js';
export { summarize, tCritical95 } from './statistics.js';
export type { Summary } from './statistics.js';
export { reproduce } from './reproduce.js';
export type { ReproduceOptions, ReproduceResult } from './reproduce.js';
export { JobPlan, PAPER_METHODS, PAPER_REGIME, FULL_BUDGET, QUICK_BUDGET, resolveBudget } from './plan.js';
export type { Budget, Comparison, Job, JobPlanOptions, TrainJob, EvaluateJob, Regime } from './plan.js';
export { expandTargets, PAPER, planJobs, REPRODUCE_TARGETS, TARGETS } from './targets.js';
export type { PlanOptions, ReproduceTarget, TargetId } from './targets.js';
export type { ReportContext, Target, TargetFiles } from './target.js';
export type { TableContext } from './results.js';
export { REGIMES } from './targets/regimes.js';
export { TABLE4_NODES } from './targets/table4.js';
export { directionalClaim, renderCsv, renderMarkdown } from './table.js';
export type { Cell, CellValue, Claim, Row, Table, Verdict } from './table.js';
export { runJobsOnQueue } from './queue-coordinator.js';
export type { QueueCoordinatorOptions } from './queue-coordinator.js';
export { runQueueWorker } from './queue-worker.js';
export type { QueueWorkerOptions } from './queue-worker.js';
export { parseQueueUrl, QueueUnavailableError, QueueUrlError } from './queue-connection.js';
export type { QueueConnection } from './queue-connection.js';
export { QueuePayloadError } from './queue-jobs.js';
