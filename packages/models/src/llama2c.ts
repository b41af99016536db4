import { fromArray, type Tensor } from '@lab/tensor';
import { type LlamaConfig, llamaConfig } from './config.js';
import { CheckpointError, ConfigError } from './errors.js';
import { Llama } from './llama.js';
import { fillOrDispose } from './model.js';

const HEADER_FIELDS = [
  'dim',
  'hidden_dim',
  'n_layers',
  'n_heads',
  'n_kv_heads',
  'vocab_size',
  'seq_len',
] as const;
const HEADER_BYTES = HEADER_FIELDS.length * 4;
// llama2.c's newer export formats start with this magic ("ak42" read as a little-endian uint32).
const VERSIONED_MAGIC = 0x616b3432;

export interface Llama2cHeader {
  dim: number;
  hidden_dim: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  /** Absolute value. A negative vocab_size in the file means an unshared classifier. */
  vocab_size: number;
  seq_len: number;
  sharedClassifier: boolean;
}

export interface Llama2cLoadOptions {
  backend?: string;
  /** Names the file in error messages. */
  source?: string;
}

/** Reads and validates the 7 x int32 header of a legacy (version 0) llama2.c checkpoint. */
export function readLlama2cHeader(bytes: Uint8Array, source = '<bytes>'): Llama2cHeader {
  if (bytes.byteLength < HEADER_BYTES) {
    throw new CheckpointError(
      source,
      'header',
      `the file has ${bytes.byteLength} bytes, fewer than the ${HEADER_BYTES}-byte header of 7 int32 fields`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) === VERSIONED_MAGIC) {
    throw new CheckpointError(
      source,
      'magic',
      'this is a versioned llama2.c export (magic "ak42"); only the legacy format is read. Export with llama2.c\'s legacy_export',
    );
  }
  const raw = HEADER_FIELDS.map((_, i) => view.getInt32(i * 4, true));
  const header = Object.fromEntries(HEADER_FIELDS.map((name, i) => [name, Math.abs(raw[i])])) as Omit<
    Llama2cHeader,
    'sharedClassifier'
  >;
  HEADER_FIELDS.forEach((name, i) => {
    if (raw[i] <= 0 && !(name === 'vocab_size' && raw[i] < 0)) {
      throw new CheckpointError(
        source,
        name,
        `header value ${raw[i]} must be positive (only vocab_size may be negative, meaning an unshared classifier)`,
      );
    }
  });
  return { ...header, sharedClassifier: raw[5] > 0 };
}

/** Tensors of a legacy llama2.c file in their order, with their shapes; `null` names a skipped block. */
function tensorLayout(h: Llama2cHeader): [string | null, number[]][] {
  const headSize = h.dim / h.n_heads;
  const kvDim = headSize * h.n_kv_heads;
  const L = h.n_layers;
  const layout: [string | null, number[]][] = [
    ['token_embedding_table', [h.vocab_size, h.dim]],
    ['rms_att_weight', [L, h.dim]],
    ['wq', [L, h.dim, h.dim]],
    ['wk', [L, kvDim, h.dim]],
    ['wv', [L, kvDim, h.dim]],
    ['wo', [L, h.dim, h.dim]],
    ['rms_ffn_weight', [L, h.dim]],
    ['w1', [L, h.hidden_dim, h.dim]],
    ['w2', [L, h.dim, h.hidden_dim]],
    ['w3', [L, h.hidden_dim, h.dim]],
    ['rms_final_weight', [h.dim]],
    // RoPE tables of the legacy format; the model recomputes them, so they are skipped.
    [null, [h.seq_len, headSize / 2]],
    [null, [h.seq_len, headSize / 2]],
  ];
  if (!h.sharedClassifier) layout.push(['wcls', [h.vocab_size, h.dim]]);
  return layout;
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Maps llama2.c's per-kind blocks to this package's parameter names, split per layer. */
function parameterNames(kind: string, layer: number): string {
  const names: Record<string, string> = {
    token_embedding_table: 'tok_embeddings.weight',
    rms_att_weight: `layers.${layer}.attention_norm.weight`,
    wq: `layers.${layer}.attention.wq.weight`,
    wk: `layers.${layer}.attention.wk.weight`,
    wv: `layers.${layer}.attention.wv.weight`,
    wo: `layers.${layer}.attention.wo.weight`,
    rms_ffn_weight: `layers.${layer}.ffn_norm.weight`,
    w1: `layers.${layer}.feed_forward.w1.weight`,
    w2: `layers.${layer}.feed_forward.w2.weight`,
    w3: `layers.${layer}.feed_forward.w3.weight`,
    rms_final_weight: 'norm.weight',
    wcls: 'output.weight',
  };
  return names[kind];
}

const HEADER_NAMES: Record<string, string> = {
  dim: 'dim',
  hiddenDim: 'hidden_dim',
  nLayers: 'n_layers',
  nHeads: 'n_heads',
  nKvHeads: 'n_kv_heads',
  vocabSize: 'vocab_size',
  maxSeqLen: 'seq_len',
};

function configOf(h: Llama2cHeader, source: string): LlamaConfig {
  try {
    return llamaConfig({
      dim: h.dim,
      hiddenDim: h.hidden_dim,
      nLayers: h.n_layers,
      nHeads: h.n_heads,
      nKvHeads: h.n_kv_heads,
      vocabSize: h.vocab_size,
      maxSeqLen: h.seq_len,
      tieEmbeddings: h.sharedClassifier,
    });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CheckpointError(source, HEADER_NAMES[error.field] ?? error.field, error.message);
    throw error;
  }
}

/**
 * Builds a Llama from the bytes of a legacy llama2.c checkpoint such as `stories260K.bin`. The file
 * is a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then
 * float32 tensors in llama2.c's order. A negative vocab_size means an unshared classifier. The file
 * size must match the header exactly.
 */
export function llamaFromLlama2c(bytes: Uint8Array, options: Llama2cLoadOptions = {}): Llama {
  const source = options.source ?? '<bytes>';
  const header = readLlama2cHeader(bytes, source);
  const config = configOf(header, source);
  const layout = tensorLayout(header);
  const expectedBytes = HEADER_BYTES + 4 * layout.reduce((total, [, shape]) => total + product(shape), 0);
  if (bytes.byteLength !== expectedBytes) {
    const classifier = header.sharedClassifier ? 'a shared classifier' : 'an unshared classifier (wcls)';
    throw new CheckpointError(
      source,
      'file size',
      `${bytes.byteLength} bytes, but the header (dim ${header.dim}, hidden_dim ${header.hidden_dim}, n_layers ${header.n_layers}, ` +
        `n_heads ${header.n_heads}, n_kv_heads ${header.n_kv_heads}, vocab_size ${header.vocab_size}, seq_len ${header.seq_len}, ` +
        `${classifier}) needs ${expectedBytes}. The file is truncated or was not written by llama2.c's legacy export`,
    );
  }

  const state = new Map<string, Tensor>();
  let offset = HEADER_BYTES;
  try {
    for (const [kind, shape] of layout) {
      const count = product(shape);
      if (kind !== null) {
        const floats = new Float32Array(bytes.slice(offset, offset + count * 4).buffer);
        const perLayer =
          kind === 'token_embedding_table' || kind === 'rms_final_weight' || kind === 'wcls'
            ? 1
            : header.n_layers;
        const inner = shape.slice(perLayer === 1 ? 0 : 1);
        const size = count / perLayer;
        for (let layer = 0; layer < perLayer; layer++) {
          const name = parameterNames(kind, layer);
          state.set(
            name,
            fromArray(floats.subarray(layer * size, (layer + 1) * size), inner, {
              dtype: 'f32',
              backend: options.backend,
            }),
          );
        }
      }
      offset += count * 4;
    }
    const model = new Llama(config, { backend: options.backend, weights: 'zeros' });
    return fillOrDispose(model, () => model.loadStateDict(state));
  } finally {
    for (const t of state.values()) t.dispose();
  }
}
