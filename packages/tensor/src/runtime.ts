import { isGradEnabled } from './autograd/mode.js';
import { type BufferView, getBackend } from './backend.js';
import { BackendError, DisposedError } from './errors.js';
import { Storage } from './memory.js';
import { isViewOp, type OpAttrs, type OpName, type ViewOp } from './ops/defs.js';
import { RULES } from './ops/rules.js';
import { contiguousStrides, isContiguous, shapesEqual, sizeOf } from './shape.js';
import { Tensor } from './tensor.js';

export function viewOf(t: Tensor): BufferView {
  return { buffer: t.storage!.buffer, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset };
}

function checkInputs(op: string, inputs: readonly Tensor[]): void {
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].isDisposed) {
      throw new DisposedError(op, `input ${i} (shape [${inputs[i].shape.join(', ')}]) was already disposed`);
    }
  }
  const names = new Set(inputs.map((t) => t.backend.name));
  if (names.size > 1) {
    throw new BackendError([...names].join('+'), `${op} received tensors on different backends; move them with .to(name)`);
  }
}

/** Strides and offset of a view op's output over the input's storage. */
function viewLayout<P extends ViewOp>(x: Tensor, op: P, attrs: OpAttrs[P], shape: number[]) {
  switch (op) {
    case 'reshape': {
      // A same-shape reshape (view, detach) keeps the source's strides, which may be permuted or expanded.
      if (shapesEqual(shape, x.shape)) return { strides: [...x.strides], offset: x.offset };
      if (!isContiguous(x.shape, x.strides)) {
        throw new Error(`internal: reshape primitive received a strided view of shape [${x.shape}]; use ops.reshape`);
      }
      return { strides: contiguousStrides(shape), offset: x.offset };
    }
    case 'permute': {
      const { axes } = attrs as OpAttrs['permute'];
      return { strides: axes.map((a) => x.strides[a]), offset: x.offset };
    }
    case 'expand': {
      const lead = shape.length - x.rank;
      const strides = shape.map((d, i) => {
        if (i < lead) return 0;
        return x.shape[i - lead] === 1 && d !== 1 ? 0 : x.strides[i - lead];
      });
      return { strides, offset: x.offset };
    }
    default: {
      const { starts, steps } = attrs as OpAttrs['slice'];
      let offset = x.offset;
      for (let i = 0; i < x.rank; i++) offset += starts[i] * x.strides[i];
      return { strides: x.strides.map((s, i) => s * steps[i]), offset };
    }
  }
}

/**
 * Runs one primitive: infers the output, executes the kernel (or builds a view), and records the
 * autograd node when recording is on and an input requires a gradient.
 */
export function apply<P extends OpName>(op: P, inputs: readonly Tensor[], attrs: OpAttrs[P], backendName?: string): Tensor {
  checkInputs(op, inputs);
  const rule = RULES[op];
  const { shape, dtype } = rule.infer(inputs, attrs);
  let out: Tensor;
  if (isViewOp(op)) {
    const x = inputs[0];
    const { strides, offset } = viewLayout(x, op as ViewOp, attrs as OpAttrs[ViewOp], shape);
    out = new Tensor(x.storage!.retain(), shape, dtype, strides, offset);
  } else {
    const backend = inputs.length > 0 ? inputs[0].backend : getBackend(backendName);
    if (!backend.dtypes.has(dtype)) {
      throw new BackendError(backend.name, `${op} would produce dtype ${dtype}, which this backend does not support`);
    }
    const buffer = backend.execute(op as Exclude<P, ViewOp>, inputs.map(viewOf), attrs as never, { shape, dtype });
    const storage = new Storage(backend, buffer, dtype, sizeOf(shape));
    out = new Tensor(storage, shape, dtype, contiguousStrides(shape), 0);
  }
  if (rule.vjp !== null && isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, attrs, inputs: [...inputs] };
  }
  return out;
}
