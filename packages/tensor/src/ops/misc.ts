import { noGrad } from '../autograd/mode.js';
import type { DType, TypedArray } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { apply } from '../runtime.js';
import type { NestedArray, Tensor } from '../tensor.js';
import { fromArray } from './creation.js';

/** A view of `x` that records nothing for autograd. */
export function detach(x: Tensor): Tensor {
  return noGrad(() => apply('reshape', [x], { shape: [...x.shape] }));
}

/** A contiguous copy that stays on the autograd graph. */
export function clone(x: Tensor): Tensor {
  return apply('contiguous', [x], {});
}

export async function toBackend(x: Tensor, backendName: string): Promise<Tensor> {
  const data = await x.data();
  return fromArray(data, x.shape, { dtype: x.dtype, backend: backendName });
}

export function checkSingleElement(x: Tensor): void {
  if (x.size !== 1) throw new ArgumentError('item', `tensor of shape [${x.shape.join(', ')}] has ${x.size} elements, not 1`);
}

/** Turns row-major data into nested arrays of the given shape (booleans for bool). */
export function nest(data: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const convert = (v: number) => (dtype === 'bool' ? v !== 0 : v);
  if (shape.length === 0) return convert(data[0]);
  const build = (offset: number, depth: number): NestedArray[] => {
    const out: NestedArray[] = [];
    const stride = shape.slice(depth + 1).reduce((p, q) => p * q, 1);
    for (let i = 0; i < shape[depth]; i++) {
      out.push(depth === shape.length - 1 ? convert(data[offset + i]) : build(offset + i * stride, depth + 1));
    }
    return out;
  };
  return build(0, 0);
}
