// @lab/lira: likelihood-ratio membership inference on language models with many reference models.
// The attacks and metrics work on plain number arrays; the `lira` Method trains the models through
// @lab/trainer and files them in a reusable store.
export {
  type AttackOptions,
  type AttackScores,
  defaultVariance,
  type ExampleGaussians,
  fitGaussians,
  type Location,
  liraAttack,
  type VarianceMode,
} from './attacks.js';
export {
  ATTACKS,
  type AttackName,
  type AuditInput,
  type AuditResult,
  auditMetrics,
  auditSections,
  type GrowthRow,
  runAudit,
} from './audit.js';
export { type LiraConfig, liraConfig } from './config.js';
export { LiraInputError, ModelStoreError } from './errors.js';
export { binomialTwoSidedP, flipRate, isCoinFlip } from './flip.js';
export { keepMatrix, keepRow, memberIndices } from './keep.js';
export { method, QUICK_CONFIG, STATISTICS_FILE, type StatisticsFile } from './method.js';
export { type AttackMetrics, attackMetrics, FPR_LEVELS, rocSection, splitScores } from './metrics.js';
export { byteChunks, drawChunks, rowsHash } from './pool.js';
export {
  logitScaledConfidence,
  mean,
  median,
  offlineLogCdf,
  onlineLogRatio,
  populationStd,
  referenceCodeOfflineScore,
  STD_FLOOR,
} from './scores.js';
export { type SequenceStatistics, type StatisticName, sequenceStatistics } from './statistics.js';
export {
  hashJson,
  type ModelSpec,
  ModelStore,
  modelKey,
  type StoreJob,
  type StoreOutcome,
  trainInStore,
} from './store.js';
