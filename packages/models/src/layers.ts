import {
  add,
  type DType,
  type Generator,
  indexSelect,
  matmul,
  Module,
  mul,
  noGrad,
  normal,
  reshape,
  scope,
  type Tensor,
  transpose,
  zeros,
} from '@lab/tensor';
import { ConfigError } from './errors.js';

type FloatDType = Extract<DType, 'f32' | 'f64'>;

/** Source of a layer's initial values. */
export interface InitOptions {
  generator: Generator;
  /** Start every weight at zero instead of drawing it, for models whose weights are loaded next. */
  zeros?: boolean;
  dtype?: FloatDType;
  backend?: string;
}

/** Draws an initial value without recording autograd and frees the temporaries. */
export function initParameter(make: () => Tensor): Tensor {
  return noGrad(() =>
    scope(() => {
      const value = make();
      return value.isContiguous ? value : value.contiguous();
    }),
  );
}

/** Creates a normal(0, std) parameter of the given shape. */
export function normalParameter(shape: number[], std: number, init: InitOptions): Tensor {
  const create = { dtype: init.dtype ?? 'f32', backend: init.backend };
  if (init.zeros) return initParameter(() => zeros(shape, create));
  return initParameter(() => normal(shape, 0, std, { ...create, generator: init.generator }));
}

/** Shared on/off switch of every adapter attached to one model. */
export interface AdapterSwitch {
  enabled: boolean;
}

/**
 * A low-rank update delta(x) = scale * (x A^T) B^T added to a dense layer's output. `merged` means
 * the update was folded into the layer's weight, so the layer adds nothing at run time.
 */
export interface LoRAWeights {
  /** (rank, inFeatures) */
  readonly A: Tensor;
  /** (outFeatures, rank) */
  readonly B: Tensor;
  readonly rank: number;
  readonly alpha: number;
  /** alpha / rank */
  readonly scale: number;
  readonly switch: AdapterSwitch;
  merged: boolean;
}

/**
 * Weight layouts: 'out-in' is PyTorch's Linear (y = x W^T, W is (out, in)); 'in-out' is GPT-2's
 * Conv1D (y = x W, W is (in, out)), kept so GPT-2 checkpoints load without transposing.
 */
export type WeightLayout = 'out-in' | 'in-out';

export interface DenseOptions extends InitOptions {
  layout: WeightLayout;
  bias: boolean;
  /** Standard deviation of the normal initial weight; the bias starts at zero. */
  std: number;
}

/**
 * An affine layer over the last axis that can carry a LoRA adapter. Parameters are named `weight`,
 * `bias`, and, once an adapter is attached, `lora_A` and `lora_B`.
 */
export class Dense extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly layout: WeightLayout;
  lora: LoRAWeights | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: DenseOptions,
  ) {
    super();
    checkPositive('Dense', 'inFeatures', inFeatures);
    checkPositive('Dense', 'outFeatures', outFeatures);
    this.layout = options.layout;
    const shape = options.layout === 'out-in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
    this.weight = this.registerParameter('weight', normalParameter(shape, options.std, options));
    const zeroBias = () => zeros([outFeatures], { dtype: options.dtype ?? 'f32', backend: options.backend });
    this.bias = options.bias ? this.registerParameter('bias', initParameter(zeroBias)) : null;
  }

  /** Returns the weight as an (in, out) matrix, a transposed view for the 'out-in' layout. */
  weightInOut(): Tensor {
    return this.layout === 'in-out' ? this.weight : transpose(this.weight);
  }

  /** x: (*, in) -> (*, out). */
  forward(x: Tensor): Tensor {
    const rows = reshape(x, [-1, this.inFeatures]); // (N, in)
    let y = matmul(rows, this.weightInOut()); // (N, out)
    if (this.bias) y = add(y, this.bias);
    const lora = this.lora;
    if (lora?.switch.enabled && !lora.merged) {
      const down = matmul(rows, transpose(lora.A)); // (N, rank)
      const up = matmul(down, transpose(lora.B)); // (N, out)
      y = add(y, mul(up, lora.scale));
    }
    return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]); // (*, out)
  }
}

/** A table of `count` vectors of size `dim`, looked up by i32 ids. */
export class EmbeddingTable extends Module {
  readonly weight: Tensor;

  constructor(
    readonly count: number,
    readonly dim: number,
    options: InitOptions & { std: number },
  ) {
    super();
    checkPositive('EmbeddingTable', 'count', count);
    checkPositive('EmbeddingTable', 'dim', dim);
    this.weight = this.registerParameter('weight', normalParameter([count, dim], options.std, options));
  }

  /** ids: (*) i32 -> (*, dim). */
  forward(ids: Tensor): Tensor {
    const rows = indexSelect(this.weight, 0, reshape(ids, [-1])); // (N, dim)
    return reshape(rows, [...ids.shape, this.dim]); // (*, dim)
  }
}

export function checkPositive(model: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(model, field, value, 'must be a positive integer');
  }
}
