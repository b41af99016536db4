import {
  add,
  Generator,
  matmul,
  mul,
  noGrad,
  optim,
  scope,
  sub,
  type Tensor,
  transpose,
  uniform,
  zeros,
} from '@lab/tensor';
import { AdapterError } from './errors.js';
import { Dense, initParameter, type LoRAWeights } from './layers.js';
import type { CausalLM, LoRAConfig } from './model.js';

export type LayerPattern = string | RegExp;

export interface LoRAOptions {
  rank: number;
  /** Scale numerator: the update is (alpha / rank) * B A. Default: rank (scale 1). */
  alpha?: number;
  /**
   * Dense layers that get an adapter, by dotted module name. A string matches the whole name or its
   * end after a dot ('wq' matches 'layers.0.attention.wq'; 'attn.c_attn' matches 'h.3.attn.c_attn');
   * a RegExp is tested against the whole name.
   */
  targets: LayerPattern | readonly LayerPattern[];
  /** Seed of A's initial values (default 0). */
  seed?: number;
  /** Stop gradients of every non-adapter parameter (default true). */
  freezeBase?: boolean;
}

function matches(name: string, pattern: LayerPattern): boolean {
  if (typeof pattern === 'string') return name === pattern || name.endsWith(`.${pattern}`);
  return pattern.test(name);
}

/** Dense layers of a model by dotted name. */
export function denseLayers(model: CausalLM): [string, Dense][] {
  return model.namedModules().filter((entry): entry is [string, Dense] => entry[1] instanceof Dense);
}

/**
 * Attaches LoRA adapters: each chosen layer y = x W + b becomes y = x W + b + (alpha / r) (x A^T) B^T,
 * with A (r, in) uniform in +-1/sqrt(in) and B (out, r) zero, so the adapted model starts equal to the
 * base. Adapter parameters are named `<layer>.lora_A` and `<layer>.lora_B`. Returns the attached layers.
 */
export function applyLoRA(model: CausalLM, options: LoRAOptions): LoRAConfig {
  const { rank } = options;
  const alpha = options.alpha ?? rank;
  if (!Number.isInteger(rank) || rank <= 0)
    throw new AdapterError('applyLoRA', `rank ${rank} must be a positive integer`);
  if (!(alpha > 0)) throw new AdapterError('applyLoRA', `alpha ${alpha} must be positive`);
  if (model.loraConfig)
    throw new AdapterError(
      'applyLoRA',
      `the model already has adapters on ${model.loraConfig.layers.length} layers; attach them once`,
    );
  const patterns = Array.isArray(options.targets) ? [...options.targets] : [options.targets as LayerPattern];
  const all = denseLayers(model);
  const chosen = all.filter(([name]) => patterns.some((p) => matches(name, p)));
  if (chosen.length === 0) {
    const names = all.map(([n]) => n);
    throw new AdapterError(
      'applyLoRA',
      `no dense layer matches ${patterns.map(String).join(', ')}. Layers: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''}`,
    );
  }

  if (options.freezeBase ?? true) model.freeze();
  const generator = new Generator(options.seed ?? 0);
  for (const [, layer] of chosen) {
    const like = { dtype: layer.weight.dtype as 'f32' | 'f64', backend: layer.weight.backend.name };
    const bound = 1 / Math.sqrt(layer.inFeatures);
    const A = layer.registerParameter(
      'lora_A',
      initParameter(() => uniform([rank, layer.inFeatures], -bound, bound, { ...like, generator })),
    );
    const B = layer.registerParameter(
      'lora_B',
      initParameter(() => zeros([layer.outFeatures, rank], like)),
    );
    layer.lora = { A, B, rank, alpha, scale: alpha / rank, switch: model.adapterSwitch, merged: false };
  }
  model.loraConfig = { rank, alpha, layers: chosen.map(([name]) => name) };
  return model.loraConfig;
}

function adapters(model: CausalLM): LoRAWeights[] {
  return denseLayers(model).flatMap(([, layer]) => (layer.lora ? [layer.lora] : []));
}

/** Returns the A and B matrices of every adapter, the parameters a LoRA fine-tune trains. */
export function loraParameters(model: CausalLM): Tensor[] {
  return adapters(model).flatMap((a) => [a.A, a.B]);
}

export function hasMergedAdapters(model: CausalLM): boolean {
  return adapters(model).some((a) => a.merged);
}

/** Switches every adapter of the model on or off; off, the model computes exactly its base function. */
export function setAdaptersEnabled(model: CausalLM, enabled: boolean): void {
  if (!enabled && hasMergedAdapters(model)) {
    throw new AdapterError(
      'setAdaptersEnabled',
      'the adapters are merged into the base weights; call unmergeAdapters(model) before switching them off',
    );
  }
  model.adapterSwitch.enabled = enabled;
}

/**
 * Runs `fn` with the adapters off and restores the previous state afterwards (after the promise
 * settles, for an async `fn`), so one set of weights serves as both policy and reference.
 */
export function withAdaptersDisabled<T>(model: CausalLM, fn: () => T): T {
  const previous = model.adapterSwitch.enabled;
  setAdaptersEnabled(model, false);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    model.adapterSwitch.enabled = previous;
    throw error;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      model.adapterSwitch.enabled = previous;
    }) as T;
  }
  model.adapterSwitch.enabled = previous;
  return result;
}

/** scale * B A in the layer's weight layout. */
function delta(layer: Dense, lora: LoRAWeights): Tensor {
  const update = mul(matmul(lora.B, lora.A), lora.scale); // (out, in)
  return layer.layout === 'out-in' ? update : transpose(update); // as the weight
}

function updateWeights(model: CausalLM, merge: boolean): void {
  noGrad(() =>
    scope(() => {
      for (const [, layer] of denseLayers(model)) {
        const lora = layer.lora;
        if (!lora || lora.merged === merge) continue;
        const next = merge ? add(layer.weight, delta(layer, lora)) : sub(layer.weight, delta(layer, lora));
        optim.assignStorage(layer.weight, next);
        lora.merged = merge;
      }
    }),
  );
}

/**
 * Folds every adapter into its layer's weight (W += scale * B A) so inference runs without the extra
 * matmuls. While merged, adapters cannot be switched off.
 */
export function mergeAdapters(model: CausalLM): void {
  updateWeights(model, true);
}

/**
 * Subtracts the merged updates again. NOTE: the restored weights equal the originals only up to f32
 * rounding of (W + d) - d, so keep a copy when bit-exact base weights matter.
 */
export function unmergeAdapters(model: CausalLM): void {
  updateWeights(model, false);
}
