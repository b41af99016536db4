import { ArgumentError } from '../errors.js';
import { reducedShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { ReduceAttrs } from './defs.js';
import { castTo, div, eq, mul } from './elementwise.js';
import { softmax } from './fused.js';
import { broadcastTo, permute, reshape } from './movement.js';
import { cumprod } from './order.js';
import type { RuleTable } from './rule.js';
import { sum } from './reduce.js';

/** Reshapes a reduced tensor back to rank of `shape` (size-1 reduced axes), then broadcasts to `shape`. */
export function expandReduced(t: Tensor, shape: readonly number[], attrs: ReduceAttrs): Tensor {
  const kept = attrs.keepDims ? t : reshape(t, reducedShape(shape, attrs.axes, true));
  return broadcastTo(kept, shape);
}

function inferReduce(op: string) {
  return (inputs: readonly Tensor[], attrs: ReduceAttrs) => {
    const x = inputs[0];
    for (const a of attrs.axes) {
      if (x.shape[a] === 0 && (op === 'max' || op === 'min')) {
        throw new ArgumentError(op, `cannot reduce axis ${a} of size 0 (shape [${x.shape.join(', ')}]): it has no identity`);
      }
    }
    const dtype = (op === 'sum' || op === 'prod') && x.dtype === 'bool' ? 'i32' : x.dtype;
    return { shape: reducedShape(x.shape, attrs.axes, attrs.keepDims), dtype };
  };
}

/**
 * Gradient of prod: for each element, the product of all the others along the reduced axes. Computed
 * as exclusive cumulative products from both ends, so zeros in the input give the right answer.
 */
function prodVjp(x: Tensor, g: Tensor, attrs: ReduceAttrs): Tensor {
  const rest = x.shape.map((_, i) => i).filter((i) => !attrs.axes.includes(i));
  const order = [...rest, ...attrs.axes];
  const moved = permute(x, order);
  const flat = reshape(moved, [...rest.map((i) => x.shape[i]), sizeOf(attrs.axes.map((a) => x.shape[a]))]);
  const before = cumprod(flat, -1, { exclusive: true });
  const after = cumprod(flat, -1, { exclusive: true, reverse: true });
  const others = reshape(mul(before, after), moved.shape);
  const inverse = order.map((_, i) => order.indexOf(i));
  return mul(expandReduced(g, x.shape, attrs), permute(others, inverse));
}

/**
 * Gradient of logsumexp: softmax of x over the reduced axes (moved last and merged into one). Taken from
 * the softmax kernel rather than exp(x - output), because output = m + log(total) loses log(total) when
 * |m| is huge (f32 min logits), and an all -inf group then gets zeros instead of NaN.
 */
function logsumexpVjp(x: Tensor, g: Tensor, attrs: ReduceAttrs): Tensor {
  const rest = x.shape.map((_, i) => i).filter((i) => !attrs.axes.includes(i));
  const order = [...rest, ...attrs.axes];
  const moved = permute(x, order);
  const flat = reshape(moved, [...rest.map((i) => x.shape[i]), sizeOf(attrs.axes.map((a) => x.shape[a]))]);
  const weights = reshape(softmax(flat, -1), moved.shape);
  const inverse = order.map((_, i) => order.indexOf(i));
  return mul(expandReduced(g, x.shape, attrs), permute(weights, inverse));
}

/** max and min share the gradient evenly among tied extreme elements (PyTorch's amax rule). */
function extremeVjp(x: Tensor, y: Tensor, g: Tensor, attrs: ReduceAttrs): Tensor {
  const hits = castTo(eq(x, expandReduced(y, x.shape, attrs)), g.dtype);
  const count = sum(hits, attrs.axes, true);
  return mul(hits, expandReduced(div(reshape(g, count.shape), count), x.shape, { ...attrs, keepDims: true }));
}

type ArgOp = 'argmax' | 'argmin';

export const REDUCE_RULES: RuleTable<'sum' | 'prod' | 'max' | 'min' | 'logsumexp' | ArgOp> = {
  sum: { infer: inferReduce('sum'), vjp: ({ inputs, g, attrs }) => [expandReduced(g, inputs[0].shape, attrs)] },
  prod: { infer: inferReduce('prod'), vjp: ({ inputs, g, attrs }) => [prodVjp(inputs[0], g, attrs)] },
  max: { infer: inferReduce('max'), vjp: ({ inputs, output, g, attrs }) => [extremeVjp(inputs[0], output, g, attrs)] },
  min: { infer: inferReduce('min'), vjp: ({ inputs, output, g, attrs }) => [extremeVjp(inputs[0], output, g, attrs)] },
  logsumexp: { infer: inferReduce('logsumexp'), vjp: ({ inputs, g, attrs }) => [logsumexpVjp(inputs[0], g, attrs)] },
  argmax: { infer: (inputs, attrs) => ({ shape: reducedShape(inputs[0].shape, [attrs.axis], attrs.keepDims), dtype: 'i32' }), vjp: null },
  argmin: { infer: (inputs, attrs) => ({ shape: reducedShape(inputs[0].shape, [attrs.axis], attrs.keepDims), dtype: 'i32' }), vjp: null },
};
