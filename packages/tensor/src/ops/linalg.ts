import { promoteTypes } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { apply } from '../runtime.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { castTo } from './elementwise.js';
import { broadcastTo, reshape } from './movement.js';

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted to a row (left) or column (right)
 * and the added axis is removed afterwards; leading batch axes broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new ShapeError('matmul', [a.shape, b.shape], 'operands must have at least one axis');
  const dtype = promoteTypes(a.dtype, b.dtype);
  const left = a.rank === 1 ? reshape(castTo(a, dtype), [1, a.shape[0]]) : castTo(a, dtype);
  const right = b.rank === 1 ? reshape(castTo(b, dtype), [b.shape[0], 1]) : castTo(b, dtype);
  const [m, k] = left.shape.slice(-2);
  const [k2, n] = right.shape.slice(-2);
  if (k !== k2) {
    throw new ShapeError('matmul', [a.shape, b.shape], `inner dimensions differ: ${k} (axis -1 of the first) vs ${k2} (axis -2 of the second)`);
  }
  const batch = broadcastShapes('matmul', left.shape.slice(0, -2), right.shape.slice(0, -2));
  const leftFull = shapesEqual(left.shape.slice(0, -2), batch) ? left : broadcastTo(left, [...batch, m, k]);
  const rightFull = shapesEqual(right.shape.slice(0, -2), batch) ? right : broadcastTo(right, [...batch, k, n]);
  let out = apply('matmul', [leftFull, rightFull], {});
  if (a.rank === 1) out = reshape(out, [...batch, n]);
  if (b.rank === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}
