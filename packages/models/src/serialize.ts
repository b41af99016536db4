import { loadSafetensorsBytes, saveSafetensorsBytes, type Tensor } from '@lab/tensor';
import { type GptConfig, gptConfig, type LlamaConfig, llamaConfig, type ModelConfig } from './config.js';
import { AdapterError, CheckpointError, ConfigError } from './errors.js';
import { GPT } from './gpt.js';
import { Llama, type ModelInitOptions } from './llama.js';
import { applyLoRA, hasMergedAdapters } from './lora.js';
import { type CausalLM, fillOrDispose, type LoRAConfig } from './model.js';

/** Contents of `config.json` beside `model.safetensors`. */
export interface SavedConfig {
  format: 'lab-models';
  version: 1;
  model: ModelConfig;
  /** Present when the weights include LoRA adapters. */
  lora?: LoRAConfig;
}

export interface SavedModel {
  config: SavedConfig;
  /** safetensors bytes of every parameter, by dotted name, in f32. */
  weights: Uint8Array;
}

export interface ModelLoadOptions {
  backend?: string;
  /** Names the files in error messages. */
  source?: string;
}

/** Builds a model from a configuration, with weights drawn as the architecture does (or zeros). */
export function createModel(config: ModelConfig, options: ModelInitOptions = {}): CausalLM {
  switch (config.architecture) {
    case 'llama':
      return new Llama(config, options);
    case 'gpt':
      return new GPT(config, options);
    default:
      throw new ConfigError(
        'model',
        'architecture',
        (config as { architecture?: unknown }).architecture,
        'must be "llama" or "gpt"',
      );
  }
}

/** Serializes the configuration and the f32 weights of a model, LoRA adapters included, bit for bit. */
export async function saveModelBytes(model: CausalLM): Promise<SavedModel> {
  if (hasMergedAdapters(model)) {
    throw new AdapterError(
      'saveModelBytes',
      'the adapters are merged into the base weights; call unmergeAdapters(model) before saving',
    );
  }
  const config: SavedConfig = { format: 'lab-models', version: 1, model: { ...model.config } };
  if (model.loraConfig) config.lora = { ...model.loraConfig, layers: [...model.loraConfig.layers] };
  const weights = await saveSafetensorsBytes(new Map(model.namedParameters()), {
    metadata: { 'lab.config': JSON.stringify(config) },
  });
  return { config, weights };
}

function parseConfig(config: SavedConfig | string, source: string): SavedConfig {
  let parsed: unknown = config;
  if (typeof config === 'string') {
    try {
      parsed = JSON.parse(config);
    } catch (error) {
      throw new CheckpointError(source, 'config.json', `is not valid JSON (${(error as Error).message})`);
    }
  }
  const saved = parsed as Partial<SavedConfig>;
  if (saved?.format !== 'lab-models' || saved.version !== 1) {
    throw new CheckpointError(
      source,
      'format',
      `expected {"format": "lab-models", "version": 1}, got ${JSON.stringify(saved?.format)} version ${JSON.stringify(saved?.version)}`,
    );
  }
  const model = saved.model as ModelConfig | undefined;
  const architecture = (saved.model as { architecture?: unknown } | undefined)?.architecture;
  try {
    if (model?.architecture === 'llama')
      return { ...saved, model: llamaConfig(model as LlamaConfig) } as SavedConfig;
    if (model?.architecture === 'gpt')
      return { ...saved, model: gptConfig(model as GptConfig) } as SavedConfig;
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CheckpointError(source, `model.${error.field}`, error.message);
    throw error;
  }
  throw new CheckpointError(
    source,
    'model.architecture',
    `must be "llama" or "gpt", got ${JSON.stringify(architecture)}`,
  );
}

/** Rebuilds a model saved by `saveModelBytes`. Every parameter must be present with its shape. */
export function loadModelBytes(
  config: SavedConfig | string,
  weights: Uint8Array,
  options: ModelLoadOptions = {},
): CausalLM {
  const source = options.source ?? '<bytes>';
  const saved = parseConfig(config, source);
  const { tensors } = loadSafetensorsBytes(weights, { backend: options.backend, source });
  try {
    const model = createModel(saved.model, { backend: options.backend, weights: 'zeros' });
    return fillOrDispose(model, () => {
      if (saved.lora)
        applyLoRA(model, { rank: saved.lora.rank, alpha: saved.lora.alpha, targets: saved.lora.layers });
      model.loadStateDict(tensors);
    });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

export interface Gpt2LoadOptions extends ModelLoadOptions {
  /** Attention heads; safetensors shapes do not record it (GPT-2 small has 12). */
  nHead: number;
  layerNormEps?: number;
}

// Buffers that Hugging Face GPT-2 files may hold besides the parameters: the causal mask of each layer.
const GPT2_BUFFER = /^h\.\d+\.attn\.(masked_)?bias$/;

/**
 * Loads GPT-2-format safetensors (Hugging Face's `model.safetensors` for `gpt2`, or any file with the
 * same names, with or without the `transformer.` prefix). The sizes come from the shapes of `wte`,
 * `wpe` and the `h.{i}` blocks; `lm_head.weight` is dropped, since the classifier is tied to `wte`.
 */
export function gptFromSafetensors(bytes: Uint8Array, options: Gpt2LoadOptions): CausalLM {
  const source = options.source ?? '<bytes>';
  const { tensors } = loadSafetensorsBytes(bytes, { backend: options.backend, source });
  const state = new Map<string, Tensor>();
  for (const [rawName, t] of tensors) {
    const name = rawName.startsWith('transformer.') ? rawName.slice('transformer.'.length) : rawName;
    if (name === 'lm_head.weight' || GPT2_BUFFER.test(name)) continue;
    state.set(name, t);
  }
  try {
    const wte = state.get('wte.weight');
    const wpe = state.get('wpe.weight');
    if (wte?.rank !== 2)
      throw new CheckpointError(source, 'wte.weight', 'is missing or not a (vocab, n_embd) matrix');
    if (wpe?.rank !== 2)
      throw new CheckpointError(source, 'wpe.weight', 'is missing or not a (n_positions, n_embd) matrix');
    const layers = new Set([...state.keys()].flatMap((n) => /^h\.(\d+)\./.exec(n)?.[1] ?? []));
    const config = gptConfig({
      vocabSize: wte.shape[0],
      nPositions: wpe.shape[0],
      nEmbd: wte.shape[1],
      nLayer: layers.size,
      nHead: options.nHead,
      layerNormEps: options.layerNormEps,
    });
    const model = new GPT(config, { backend: options.backend, weights: 'zeros' });
    return fillOrDispose(model, () => model.loadStateDict(state));
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
