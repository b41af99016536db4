import { Module, type Tensor } from '@lab/tensor';
import type { ModelConfig } from './config.js';
import { GenerationError } from './errors.js';
import { KVCache } from './kv-cache.js';
import type { AdapterSwitch } from './layers.js';

export interface ForwardOptions {
  /**
   * Past keys and values. The ids then continue the cached positions, and the cache grows by their
   * length. Inference only (run under `noGrad`).
   */
  cache?: KVCache;
}

/** Record of the attached LoRA adapters, kept so a saved model can be rebuilt with them. */
export interface LoRAConfig {
  rank: number;
  alpha: number;
  /** Dotted names of the layers that carry an adapter. */
  layers: string[];
}

/**
 * A decoder-only language model: token ids (B, T) in, next-token logits (B, T, V) out. Sequences in a
 * batch are right-padded; causal attention keeps padding from reaching earlier positions, and loss
 * masks exclude it.
 */
export abstract class CausalLM extends Module {
  abstract readonly config: ModelConfig;
  /** Shared switch of every LoRA adapter on this model. */
  readonly adapterSwitch: AdapterSwitch = { enabled: true };
  /** Set by `applyLoRA`. */
  loraConfig: LoRAConfig | null = null;

  abstract get vocabSize(): number;
  /** Maximum sequence length in tokens, cached positions included. */
  abstract get maxSeqLen(): number;
  abstract get numLayers(): number;

  /** ids: (B, T) i32 -> logits (B, T, V). */
  abstract forward(ids: Tensor, options?: ForwardOptions): Tensor;

  /** Name of the backend that stores the parameters. */
  get backendName(): string {
    return this.parameters()[0].backend.name;
  }

  /** Creates an empty cache for this model's layers. */
  createCache(): KVCache {
    return new KVCache(this.numLayers);
  }

  /** Checks the ids and returns the position of their first token. */
  protected startPosition(ids: Tensor, cache: KVCache | undefined): number {
    if (ids.dtype !== 'i32' || ids.rank !== 2 || ids.shape[1] === 0) {
      throw new GenerationError(
        `${this.constructor.name}.forward`,
        `ids must be a non-empty (B, T) i32 tensor, got ${ids.dtype} of shape [${ids.shape.join(', ')}]`,
      );
    }
    if (cache && cache.layers !== this.numLayers) {
      throw new GenerationError(
        `${this.constructor.name}.forward`,
        `the cache has ${cache.layers} layers but the model has ${this.numLayers}`,
      );
    }
    const start = cache?.length ?? 0;
    if (start + ids.shape[1] > this.maxSeqLen) {
      throw new GenerationError(
        `${this.constructor.name}.forward`,
        `positions ${start}..${start + ids.shape[1] - 1} exceed the context of ${this.maxSeqLen}; shorten the input or start a new cache`,
      );
    }
    return start;
  }
}

/** Runs `fill` on a new model and returns the model, or frees its parameters when `fill` throws. */
export function fillOrDispose<M extends Module>(model: M, fill: () => unknown): M {
  try {
    fill();
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}
