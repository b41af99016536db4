// @lab/trainer: the Method plugin contract, the training loop, reference log-probs with a cache,
// checkpoints, run directories and reports. Node only (it writes files).
import { registerMethod } from './registry.js';
import { sft } from './sft.js';

registerMethod(sft, '@lab/trainer');

export {
  type BestRecord,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointEntry,
  type CheckpointState,
  type CheckpointStateInput,
  CheckpointStore,
  type CheckpointStoreOptions,
  checkpointName,
  type DataPosition,
  type OptimizerJson,
  type PendingRecords,
  readCheckpoint,
  type RetentionOptions,
} from './checkpoint.js';
export {
  boolean,
  type ConfigOf,
  type ConfigSpec,
  choice,
  decodeConfig,
  defineConfig,
  field,
  type FieldInfo,
  formatFields,
  group,
  integer,
  number,
  optionalInteger,
  optionalString,
  setPath,
  string,
  stringList,
} from './config.js';
export { createContext, type DataRecord, defaultCacheDir, type MethodContext, type TrainManyJob, type TrainManyOptions } from './context.js';
export { acquireModel, evaluateRunEffect, reportEffect, type TrainerFailure, trainEffect } from './effect.js';
export * from './errors.js';
export { hashTensors, sha256, sha256File } from './files.js';
export {
  type DataFormat,
  initLanguageModel,
  type LoadedModel,
  type LoadedSequences,
  type LoadedTokenizer,
  loadLanguageModel,
  loadSequences,
  loadTokenizer,
  newestCheckpoint,
  resolveInput,
  searchRoots,
} from './inputs.js';
export { formatProgress, type LogFields, Logger, type LoggerOptions, type LogLevel, Progress, type ProgressUpdate } from './logger.js';
export { type AnyMethod, type DataNeed, type Demo, defineMethod, type EvalResult, type Method, type MethodPlot, type ModelRole, type ModelRoleKind, type PaperRef } from './method.js';
export { buildOptimizer, buildSchedule, type OptimizerConfig } from './optim.js';
export { type EvalLossResult, evaluateLoss, type GeneratedText, type GenerateTextOptions, generateText, type LmBatch, type LmBatchOptions, lmBatch, lmLoss } from './primitives.js';
export { exportReferenceLogProbs, Reference, type ReferenceMode, type ReferenceOptions, type ReferenceSpec, type ReferenceStats, rowKey } from './reference.js';
export { type DiscoveryProblem, discoverMethods, findMethod, listDemos, listMethods, registerDemo, registerMethod } from './registry.js';
export { buildRunReport, type EvalFile, type Manifest, type RunStatus, summarizeRun, writeComparison, writeRunReport } from './report.js';
export { type MetricLine, type MetricValue, RUN_FILES, RunDir, type SampleLine } from './run-dir.js';
export { backendCandidates, codeVersion, evaluateRun, prepareRun, type RunOptions, type RunOutcome, runMethod, selectBackend } from './runner.js';
export { sft, sftConfig, type SftConfig } from './sft.js';
export { checkpointFiles, DataOrder, restoreCheckpoint } from './state.js';
export { type ExtraState, type LossOutput, type SampleOutput, type StepInfo, type TrainEnv, type TrainModelOptions, type TrainResult, trainModel } from './train.js';
