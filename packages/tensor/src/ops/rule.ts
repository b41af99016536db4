import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import type { OpAttrs, OpName } from './defs.js';

export interface InferredOutput {
  shape: number[];
  dtype: DType;
}

export interface VjpArgs<P extends OpName> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: OpAttrs[P];
  /** Gradient of the loss with respect to `output`; same shape as the output. */
  readonly g: Tensor;
  /** Which inputs need a gradient; a rule may return null for the others. */
  readonly needs: readonly boolean[];
}

/** Vector-Jacobian product: one gradient (or null) per input, each with that input's shape. */
export type VjpRule<P extends OpName> = (args: VjpArgs<P>) => readonly (Tensor | null)[];

export interface OpRule<P extends OpName> {
  /** Output shape and dtype; throws ShapeError or DTypeError naming the op and the input shapes. */
  infer(inputs: readonly Tensor[], attrs: OpAttrs[P]): InferredOutput;
  /** Null marks an op whose output carries no gradient (integer or boolean results). */
  vjp: VjpRule<P> | null;
}

export type RuleTable<K extends OpName> = { [P in K]: OpRule<P> };
