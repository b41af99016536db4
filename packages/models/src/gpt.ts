import {
  add,
  arange,
  attention,
  gelu,
  LayerNorm,
  matmul,
  Module,
  ModuleList,
  permute,
  reshape,
  split,
  type Tensor,
  transpose,
} from '@lab/tensor';
import { type GptConfig, type GptConfigInput, gptConfig } from './config.js';
import type { KVCache } from './kv-cache.js';
import { Dense, EmbeddingTable, type InitOptions } from './layers.js';
import { initOptionsOf, type ModelInitOptions } from './llama.js';
import { CausalLM, type ForwardOptions } from './model.js';

function conv1d(inF: number, outF: number, std: number, init: InitOptions): Dense {
  return new Dense(inF, outF, { ...init, layout: 'in-out', bias: true, std });
}

function layerNorm(config: GptConfig, init: InitOptions): LayerNorm {
  return new LayerNorm(config.nEmbd, { eps: config.layerNormEps, dtype: init.dtype, backend: init.backend });
}

/** Causal multi-head self-attention with one fused q/k/v projection (`c_attn`). */
class GptAttention extends Module {
  readonly c_attn: Dense;
  readonly c_proj: Dense;

  constructor(
    private readonly config: GptConfig,
    init: InitOptions,
  ) {
    super();
    const c = config.nEmbd;
    this.c_attn = this.registerModule('c_attn', conv1d(c, 3 * c, 0.02, init));
    this.c_proj = this.registerModule('c_proj', conv1d(c, c, 0.02 / Math.sqrt(2 * config.nLayer), init));
  }

  /** x: (B, T, C) -> (B, T, C). */
  forward(x: Tensor, layer: number, cache: KVCache | undefined): Tensor {
    const [b, t, c] = x.shape;
    const h = this.config.nHead;
    const heads = (y: Tensor) => permute(reshape(y, [b, t, h, c / h]), [0, 2, 1, 3]); // (B, H, T, D)
    const [q, k, v] = split(this.c_attn.forward(x), c, 2).map(heads);
    let keys = k;
    let values = v;
    if (cache) ({ k: keys, v: values } = cache.append(layer, k, v)); // (B, H, S, D)
    const out = attention(q, keys, values, { causal: true }); // (B, H, T, D)
    return this.c_proj.forward(reshape(permute(out, [0, 2, 1, 3]), [b, t, c])); // (B, T, C)
  }
}

/** c_proj(gelu_tanh(c_fc(x))), 4x wide. */
class GptMlp extends Module {
  readonly c_fc: Dense;
  readonly c_proj: Dense;

  constructor(config: GptConfig, init: InitOptions) {
    super();
    const c = config.nEmbd;
    this.c_fc = this.registerModule('c_fc', conv1d(c, 4 * c, 0.02, init));
    this.c_proj = this.registerModule('c_proj', conv1d(4 * c, c, 0.02 / Math.sqrt(2 * config.nLayer), init));
  }

  forward(x: Tensor): Tensor {
    return this.c_proj.forward(gelu(this.c_fc.forward(x), 'tanh'));
  }
}

class GptBlock extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GptAttention;
  readonly ln_2: LayerNorm;
  readonly mlp: GptMlp;

  constructor(config: GptConfig, init: InitOptions) {
    super();
    this.ln_1 = this.registerModule('ln_1', layerNorm(config, init));
    this.attn = this.registerModule('attn', new GptAttention(config, init));
    this.ln_2 = this.registerModule('ln_2', layerNorm(config, init));
    this.mlp = this.registerModule('mlp', new GptMlp(config, init));
  }

  forward(x: Tensor, layer: number, cache: KVCache | undefined): Tensor {
    const h = add(x, this.attn.forward(this.ln_1.forward(x), layer, cache)); // (B, T, C)
    return add(h, this.mlp.forward(this.ln_2.forward(h))); // (B, T, C)
  }
}

/**
 * GPT-2 with its parameter names (`wte`, `wpe`, `h.{i}.ln_1`, `h.{i}.attn.c_attn`, `h.{i}.attn.c_proj`,
 * `h.{i}.ln_2`, `h.{i}.mlp.c_fc`, `h.{i}.mlp.c_proj`, `ln_f`) and Conv1D weights stored (in, out), so
 * GPT-2 safetensors load unchanged. The classifier is `wte` transposed. Weights start as GPT-2's:
 * normal(0, 0.02), residual projections 0.02 / sqrt(2 * nLayer), biases 0, LayerNorm 1 and 0.
 */
export class GPT extends CausalLM {
  readonly config: GptConfig;
  readonly wte: EmbeddingTable;
  readonly wpe: EmbeddingTable;
  readonly h: ModuleList<GptBlock>;
  readonly ln_f: LayerNorm;

  constructor(config: GptConfigInput | GptConfig, options: ModelInitOptions = {}) {
    super();
    this.config = gptConfig(config);
    const c = this.config;
    const init = initOptionsOf(options);
    this.wte = this.registerModule('wte', new EmbeddingTable(c.vocabSize, c.nEmbd, { ...init, std: 0.02 }));
    this.wpe = this.registerModule('wpe', new EmbeddingTable(c.nPositions, c.nEmbd, { ...init, std: 0.01 }));
    this.h = this.registerModule(
      'h',
      new ModuleList(Array.from({ length: c.nLayer }, () => new GptBlock(c, init))),
    );
    this.ln_f = this.registerModule('ln_f', layerNorm(c, init));
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get maxSeqLen(): number {
    return this.config.nPositions;
  }

  get numLayers(): number {
    return this.config.nLayer;
  }

  forward(ids: Tensor, options: ForwardOptions = {}): Tensor {
    const start = this.startPosition(ids, options.cache);
    const [b, t] = ids.shape;
    const positions = arange(start, start + t, 1, { backend: ids.backend.name }); // (T)
    let x = add(this.wte.forward(ids), this.wpe.forward(positions)); // (B, T, C)
    let layer = 0;
    for (const block of this.h) x = block.forward(x, layer++, options.cache);
    const rows = reshape(this.ln_f.forward(x), [b * t, this.config.nEmbd]); // (B*T, C)
    return reshape(matmul(rows, transpose(this.wte.weight)), [b, t, this.config.vocabSize]); // (B, T, V)
  }
}
