export { decorrelationLoss, klToStandardNormalLoss, VARIANCE_EPSILON } from './losses.js';
export { srrLoss, srrWeight, resolveSrrConfig, SrrConfigSchema } from './srr.js';
export type { SrrConfig, SrrConfigInput, SrrLoss } from './srr.js';
export { featureStatistics } from './statistics.js';
export type { FeatureStatistics } from './statistics.js';
export { combineMoments, momentsOf, srrGradient } from './moments.js';
export type { MomentsData, SrrGradient } from './moments.js';
