import { noGrad } from '../autograd/mode.js';
import { ArgumentError, BackendError, DisposedError, ShapeError } from '../errors.js';
import { castTo } from '../ops/elementwise.js';
import { contiguous } from '../ops/movement.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Makes `target` hold the values of `value` by swapping its storage, so every reference to the
 * `target` object (a module field, an optimizer's parameter list) reads the new values. Kernels never
 * write into an existing buffer, so this swap is the only in-place update in the library.
 *
 * `target` must be a contiguous leaf (no autograd node). `value` is cast to `target`'s dtype and made
 * contiguous when needed; it stays owned by the caller. The old storage is released, so a view taken
 * from `target` before the swap keeps the old values.
 *
 * NOTE: a graph recorded before the swap that still reads `target` would see the new values in a later
 * `backward()`; finish backward passes before updating parameters.
 */
export function assignStorage(target: Tensor, value: Tensor): void {
  if (target.isDisposed) throw new DisposedError('assignStorage', `target ${target} was already disposed`);
  if (value.isDisposed) throw new DisposedError('assignStorage', `value ${value} was already disposed`);
  if (target.node !== null) {
    throw new ArgumentError('assignStorage', `target ${target} is the output of ${target.node.op}, not a leaf. Assign only to parameters and other leaves`);
  }
  if (!target.isContiguous) {
    throw new ArgumentError('assignStorage', `target ${target} is a strided view. Assign to a contiguous tensor (create it with .contiguous())`);
  }
  if (!shapesEqual(target.shape, value.shape)) {
    throw new ShapeError('assignStorage', [target.shape, value.shape], 'value must have the shape of the target');
  }
  if (target.backend !== value.backend) {
    throw new BackendError(value.backend.name, `assignStorage: value is not on the target's backend ${target.backend.name}. Move it with .to()`);
  }

  noGrad(() => {
    const cast = castTo(value, target.dtype);
    const dense = cast.isContiguous ? cast : contiguous(cast);
    // Retain before release: `value` may share the target's storage.
    const next = dense.storage!.retain();
    target.storage!.release();
    target.storage = next;
    if (dense !== value) dense.dispose();
    if (cast !== value && cast !== dense) cast.dispose();
  });
}
