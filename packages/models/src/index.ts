export {
  type GptConfig,
  type GptConfigInput,
  gptConfig,
  type LlamaConfig,
  type LlamaConfigInput,
  llamaConfig,
  type ModelConfig,
} from './config.js';
export { AdapterError, CheckpointError, ConfigError, GenerationError } from './errors.js';
export {
  checkTokens,
  forwardLogits,
  type GenerateOptions,
  type GenerateResult,
  generate,
  type StopReason,
} from './generate.js';
export {
  type GenerateBatchOptions,
  type GenerateBatchResult,
  type GenerateBatchRow,
  generateBatch,
} from './generate-batch.js';
export { GPT } from './gpt.js';
export { KVCache } from './kv-cache.js';
export { type AdapterSwitch, Dense, EmbeddingTable, type LoRAWeights, type WeightLayout } from './layers.js';
export { Llama, type ModelInitOptions } from './llama.js';
export {
  type Llama2cHeader,
  type Llama2cLoadOptions,
  llamaFromLlama2c,
  readLlama2cHeader,
} from './llama2c.js';
export {
  nextTokenLogProbs,
  type SequenceLogProbs,
  type SequenceLogProbsOptions,
  sequenceLogProbs,
} from './logprobs.js';
export {
  applyLoRA,
  denseLayers,
  hasMergedAdapters,
  type LayerPattern,
  type LoRAOptions,
  loraParameters,
  mergeAdapters,
  setAdaptersEnabled,
  unmergeAdapters,
  withAdaptersDisabled,
} from './lora.js';
export { CausalLM, type ForwardOptions, type LoRAConfig } from './model.js';
export { applyRope } from './rope.js';
export { sampleIndex, type SamplingOptions, SeededRandom, samplingDistribution } from './sampling.js';
export {
  createModel,
  type Gpt2LoadOptions,
  gptFromSafetensors,
  loadModelBytes,
  type ModelLoadOptions,
  type SavedConfig,
  type SavedModel,
  saveModelBytes,
} from './serialize.js';
export {
  acceptanceOutputDistribution,
  argmax,
  residualDistribution,
  type Verification,
  verifyDraft,
  verifyDraftGreedy,
} from './speculative.js';
export {
  type SpeculativeOptions,
  type SpeculativeResult,
  SpeculativeStats,
  speculativeGenerate,
} from './speculative-decode.js';
