import { ArgumentError, DTypeError } from '../errors.js';
import { indexSelect, reshape } from '../ops/movement.js';
import { randn } from '../ops/random.js';
import type { Tensor } from '../tensor.js';
import { initGenerator, initialValue, type InitOptions } from './init.js';
import { Module } from './module.js';

/** A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialized N(0, 1) as in PyTorch. */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: InitOptions = {},
  ) {
    super();
    for (const [name, value] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new ArgumentError('Embedding', `${name} = ${value} must be a positive integer`);
    }
    const generator = initGenerator(options);
    const random = { generator, dtype: options.dtype, backend: options.backend };
    this.weight = this.registerParameter('weight', initialValue(() => randn([numEmbeddings, embeddingDim], random)));
  }

  /** ids: integer tensor of any shape (*) -> (*, embeddingDim). An id outside [0, numEmbeddings) raises. */
  forward(ids: Tensor): Tensor {
    if (ids.dtype !== 'i32') throw new DTypeError('Embedding', [ids.dtype], 'ids must be i32. Convert them with .cast("i32")');
    const flat = reshape(ids, [-1]); // (N)
    const rows = indexSelect(this.weight, 0, flat); // (N, dim)
    return reshape(rows, [...ids.shape, this.embeddingDim]); // (*, dim)
  }
}
