export { AdamW, type AdamWOptions } from './adamw.js';
export { assignStorage } from './assign.js';
export { clipGradNorm } from './clip.js';
export { OptimizerStateError } from './errors.js';
export { type Hyperparameters, Optimizer, type OptimizerOptions, type OptimizerState } from './optimizer.js';
export { constantSchedule, type Schedule, warmupCosineSchedule, warmupLinearSchedule, type WarmupDecayOptions } from './schedule.js';
export { SGD, type SGDOptions } from './sgd.js';
