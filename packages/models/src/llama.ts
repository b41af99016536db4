import {
  add,
  attention,
  type DType,
  Generator,
  matmul,
  Module,
  ModuleList,
  mul,
  permute,
  reshape,
  RMSNorm,
  silu,
  type Tensor,
  transpose,
} from '@lab/tensor';
import { type LlamaConfig, type LlamaConfigInput, llamaConfig } from './config.js';
import type { KVCache } from './kv-cache.js';
import { Dense, EmbeddingTable, type InitOptions } from './layers.js';
import { CausalLM, type ForwardOptions } from './model.js';
import { applyRope } from './rope.js';

export interface ModelInitOptions {
  /** Seed of the initial weights (default 0). */
  seed?: number;
  generator?: Generator;
  dtype?: Extract<DType, 'f32' | 'f64'>;
  backend?: string;
  /** 'random' (default) draws the architecture's initial values; 'zeros' skips the draws before a load. */
  weights?: 'random' | 'zeros';
}

export function initOptionsOf(options: ModelInitOptions): InitOptions {
  return {
    generator: options.generator ?? new Generator(options.seed ?? 0),
    dtype: options.dtype,
    zeros: options.weights === 'zeros',
    backend: options.backend,
  };
}

/** Grouped-query self-attention with RoPE: H query heads share Hkv key/value heads. */
class LlamaAttention extends Module {
  readonly wq: Dense;
  readonly wk: Dense;
  readonly wv: Dense;
  readonly wo: Dense;

  constructor(
    private readonly config: LlamaConfig,
    init: InitOptions,
  ) {
    super();
    const { dim, nHeads, nKvHeads, nLayers } = config;
    const kvDim = (dim / nHeads) * nKvHeads;
    const dense = (inF: number, outF: number, std: number) =>
      new Dense(inF, outF, { ...init, layout: 'out-in', bias: false, std });
    this.wq = this.registerModule('wq', dense(dim, dim, 0.02));
    this.wk = this.registerModule('wk', dense(dim, kvDim, 0.02));
    this.wv = this.registerModule('wv', dense(dim, kvDim, 0.02));
    this.wo = this.registerModule('wo', dense(dim, dim, 0.02 / Math.sqrt(2 * nLayers)));
  }

  /** x: (B, T, C) at positions start.. -> (B, T, C). */
  forward(x: Tensor, start: number, layer: number, cache: KVCache | undefined): Tensor {
    const [b, t] = x.shape;
    const { nHeads, nKvHeads, ropeTheta } = this.config;
    const headSize = this.config.dim / nHeads;
    const q = applyRope(reshape(this.wq.forward(x), [b, t, nHeads, headSize]), start, ropeTheta); // (B, T, H, D)
    const k = applyRope(reshape(this.wk.forward(x), [b, t, nKvHeads, headSize]), start, ropeTheta); // (B, T, Hkv, D)
    const v = reshape(this.wv.forward(x), [b, t, nKvHeads, headSize]); // (B, T, Hkv, D)

    let keys = permute(k, [0, 2, 1, 3]); // (B, Hkv, T, D)
    let values = permute(v, [0, 2, 1, 3]); // (B, Hkv, T, D)
    if (cache) ({ k: keys, v: values } = cache.append(layer, keys, values)); // (B, Hkv, S, D)

    // Query i attends to keys j <= i + (S - T): its own position and every cached position before it.
    const heads = attention(permute(q, [0, 2, 1, 3]), keys, values, { causal: true }); // (B, H, T, D)
    const merged = reshape(permute(heads, [0, 2, 1, 3]), [b, t, this.config.dim]); // (B, T, C)
    return this.wo.forward(merged);
  }
}

/** SwiGLU: w2(silu(w1 x) * w3 x). */
class LlamaFeedForward extends Module {
  readonly w1: Dense;
  readonly w2: Dense;
  readonly w3: Dense;

  constructor(config: LlamaConfig, init: InitOptions) {
    super();
    const { dim, hiddenDim, nLayers } = config;
    const dense = (inF: number, outF: number, std: number) =>
      new Dense(inF, outF, { ...init, layout: 'out-in', bias: false, std });
    this.w1 = this.registerModule('w1', dense(dim, hiddenDim, 0.02));
    this.w2 = this.registerModule('w2', dense(hiddenDim, dim, 0.02));
    this.w3 = this.registerModule('w3', dense(dim, hiddenDim, 0.02 / Math.sqrt(2 * nLayers)));
  }

  forward(x: Tensor): Tensor {
    const gate = silu(this.w1.forward(x)); // (B, T, hidden)
    return this.w2.forward(mul(gate, this.w3.forward(x))); // (B, T, C)
  }
}

class LlamaBlock extends Module {
  readonly attention: LlamaAttention;
  readonly feed_forward: LlamaFeedForward;
  readonly attention_norm: RMSNorm;
  readonly ffn_norm: RMSNorm;

  constructor(config: LlamaConfig, init: InitOptions) {
    super();
    const norm = () =>
      new RMSNorm(config.dim, { eps: config.normEps, dtype: init.dtype, backend: init.backend });
    this.attention = this.registerModule('attention', new LlamaAttention(config, init));
    this.feed_forward = this.registerModule('feed_forward', new LlamaFeedForward(config, init));
    this.attention_norm = this.registerModule('attention_norm', norm());
    this.ffn_norm = this.registerModule('ffn_norm', norm());
  }

  forward(x: Tensor, start: number, layer: number, cache: KVCache | undefined): Tensor {
    const h = add(x, this.attention.forward(this.attention_norm.forward(x), start, layer, cache)); // (B, T, C)
    return add(h, this.feed_forward.forward(this.ffn_norm.forward(h))); // (B, T, C)
  }
}

/**
 * Llama-2 in llama2.c's layout and parameter names (`tok_embeddings`, `layers.{i}.attention.wq`, ...,
 * `norm`, `output`). Weights start as llama2.c's training script draws them: normal(0, 0.02), with
 * std 0.02 / sqrt(2 * nLayers) for `wo` and `w3`.
 */
export class Llama extends CausalLM {
  readonly config: LlamaConfig;
  readonly tok_embeddings: EmbeddingTable;
  readonly layers: ModuleList<LlamaBlock>;
  readonly norm: RMSNorm;
  /** The untied classifier; null when it shares `tok_embeddings.weight`. */
  readonly output: Dense | null;

  constructor(config: LlamaConfigInput | LlamaConfig, options: ModelInitOptions = {}) {
    super();
    this.config = llamaConfig(config);
    const init = initOptionsOf(options);
    const c = this.config;
    this.tok_embeddings = this.registerModule(
      'tok_embeddings',
      new EmbeddingTable(c.vocabSize, c.dim, { ...init, std: 0.02 }),
    );
    const blocks = Array.from({ length: c.nLayers }, () => new LlamaBlock(c, init));
    this.layers = this.registerModule('layers', new ModuleList(blocks));
    this.norm = this.registerModule(
      'norm',
      new RMSNorm(c.dim, { eps: c.normEps, dtype: init.dtype, backend: init.backend }),
    );
    const output = c.tieEmbeddings
      ? null
      : new Dense(c.dim, c.vocabSize, { ...init, layout: 'out-in', bias: false, std: 0.02 });
    this.output = output ? this.registerModule('output', output) : null;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get maxSeqLen(): number {
    return this.config.maxSeqLen;
  }

  get numLayers(): number {
    return this.config.nLayers;
  }

  forward(ids: Tensor, options: ForwardOptions = {}): Tensor {
    const start = this.startPosition(ids, options.cache);
    let x = this.tok_embeddings.forward(ids); // (B, T, C)
    let layer = 0;
    for (const block of this.layers) x = block.forward(x, start, layer++, options.cache);
    const final = this.norm.forward(x); // (B, T, C)
    if (this.output) return this.output.forward(final); // (B, T, V)
    const [b, t] = ids.shape;
    const rows = reshape(final, [b * t, this.config.dim]); // (B*T, C)
    return reshape(matmul(rows, transpose(this.tok_embeddings.weight)), [b, t, this.config.vocabSize]); // (B, T, V)
  }
}
