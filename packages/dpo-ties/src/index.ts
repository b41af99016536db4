// @lab/dpo-ties: DPO with ties. The losses and the classifier (also at `@lab/dpo-ties/losses`, which
// needs only @lab/tensor), the `dpo-ties` Method that `lab train dpo-ties` runs, and the sentiment
// steering task of its demo (`lab demo dpo-ties`).
export * from './core.js';
export { SteeringError } from './errors.js';
export {
  type DataFormat,
  type DpoTiesConfig,
  dpoTiesConfig,
  type LossKind,
  type Variant,
  VARIANTS,
} from './method/config.js';
export { STEERING_DEMO, STEERING_DEMO_CONFIG, STEERING_QUICK_CONFIG } from './method/demo.js';
export { lossSettings, method } from './method/index.js';
export { comparisonPairs, sentimentComparisons, splitHoldout } from './method/pairs.js';
export { type PolicyMetrics, type PolicySample, policyMetrics } from './steering/evaluate.js';
export { distinctRatio, type PromptPairs, promptPairs } from './steering/pairs.js';
export {
  type RewardReport,
  type RewardTraining,
  SentimentReward,
  trainSentimentReward,
  wordTokens,
} from './steering/reward.js';
