import { ConfigError } from './errors.js';
import { checkPositive } from './layers.js';

/** A Llama-2 style decoder in llama2.c's layout (RMSNorm, RoPE, SwiGLU, grouped-query attention). */
export interface LlamaConfig {
  architecture: 'llama';
  dim: number;
  /** Width of the SwiGLU hidden layer. */
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  /** Key/value heads; nHeads must be a multiple (grouped-query attention). */
  nKvHeads: number;
  vocabSize: number;
  /** Maximum sequence length in tokens. */
  maxSeqLen: number;
  normEps: number;
  ropeTheta: number;
  /** The classifier reuses the token embedding (llama2.c's shared_weights). */
  tieEmbeddings: boolean;
}

/** GPT-2: learned positions, pre-LayerNorm blocks, GELU (tanh) MLP, classifier tied to `wte`. */
export interface GptConfig {
  architecture: 'gpt';
  vocabSize: number;
  /** Number of learned positions (GPT-2's n_positions, the context length). */
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  layerNormEps: number;
}

export type ModelConfig = LlamaConfig | GptConfig;

type Defaults<C, K extends keyof C> = Omit<C, K | 'architecture'> & Partial<Pick<C, K>>;

export type LlamaConfigInput = Defaults<LlamaConfig, 'normEps' | 'ropeTheta' | 'tieEmbeddings' | 'nKvHeads'>;
export type GptConfigInput = Defaults<GptConfig, 'layerNormEps'>;

function checkEps(model: string, field: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new ConfigError(model, field, value, 'must be in (0, 1)');
}

/** Fills llama2.c's defaults (eps 1e-5, theta 10000, tied classifier, nKvHeads = nHeads) and validates. */
export function llamaConfig(input: LlamaConfigInput): LlamaConfig {
  const config: LlamaConfig = {
    architecture: 'llama',
    dim: input.dim,
    hiddenDim: input.hiddenDim,
    nLayers: input.nLayers,
    nHeads: input.nHeads,
    nKvHeads: input.nKvHeads ?? input.nHeads,
    vocabSize: input.vocabSize,
    maxSeqLen: input.maxSeqLen,
    normEps: input.normEps ?? 1e-5,
    ropeTheta: input.ropeTheta ?? 10000,
    tieEmbeddings: input.tieEmbeddings ?? true,
  };
  for (const field of [
    'dim',
    'hiddenDim',
    'nLayers',
    'nHeads',
    'nKvHeads',
    'vocabSize',
    'maxSeqLen',
  ] as const) {
    checkPositive('Llama', field, config[field]);
  }
  if (config.dim % config.nHeads !== 0)
    throw new ConfigError('Llama', 'dim', config.dim, `must be a multiple of nHeads = ${config.nHeads}`);
  if ((config.dim / config.nHeads) % 2 !== 0) {
    throw new ConfigError(
      'Llama',
      'dim',
      config.dim,
      `gives an odd head size ${config.dim / config.nHeads}; RoPE rotates pairs, so dim / nHeads must be even`,
    );
  }
  if (config.nHeads % config.nKvHeads !== 0) {
    throw new ConfigError('Llama', 'nKvHeads', config.nKvHeads, `must divide nHeads = ${config.nHeads}`);
  }
  checkEps('Llama', 'normEps', config.normEps);
  if (!(config.ropeTheta > 1))
    throw new ConfigError('Llama', 'ropeTheta', config.ropeTheta, 'must be greater than 1');
  return config;
}

/** Fills GPT-2's default (LayerNorm eps 1e-5) and validates. */
export function gptConfig(input: GptConfigInput): GptConfig {
  const config: GptConfig = {
    architecture: 'gpt',
    vocabSize: input.vocabSize,
    nPositions: input.nPositions,
    nEmbd: input.nEmbd,
    nLayer: input.nLayer,
    nHead: input.nHead,
    layerNormEps: input.layerNormEps ?? 1e-5,
  };
  for (const field of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'] as const)
    checkPositive('GPT', field, config[field]);
  if (config.nEmbd % config.nHead !== 0)
    throw new ConfigError('GPT', 'nEmbd', config.nEmbd, `must be a multiple of nHead = ${config.nHead}`);
  checkEps('GPT', 'layerNormEps', config.layerNormEps);
  return config;
}
