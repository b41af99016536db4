import type { BufferView, OutputSpec } from '../../backend.js';
import type { KernelOp, OpAttrs } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import { KERNELS } from '../cpu/index.js';
import type { CpuKernel } from '../cpu/kernel.js';
import type { CpuView } from '../cpu/strided.js';
import type { WasmBuffer, WasmRuntime } from './runtime.js';

/**
 * Runs the cpu backend's kernel on typed-array views of wasm memory and copies its output into a new
 * wasm buffer: every op works on this backend, at the cpu backend's speed, with its double-precision
 * semantics. The output is allocated first, because an allocation may grow (and move) the memory the
 * views look at.
 */
export function runCpuKernel<P extends KernelOp>(rt: WasmRuntime, op: P, inputs: readonly BufferView[], attrs: OpAttrs[P], out: OutputSpec): WasmBuffer {
  const result = rt.allocate(out.dtype, sizeOf(out.shape));
  try {
    const views: CpuView[] = inputs.map((input) => {
      const buffer = input.buffer as WasmBuffer;
      return { ...input, buffer: rt.view(buffer.dtype, buffer.ptr, buffer.size) };
    });
    const kernel = KERNELS[op] as CpuKernel<P>;
    const values = kernel(views, attrs, out);
    rt.viewOf(result).set(values);
  } catch (error) {
    rt.free(result);
    throw error;
  }
  return result;
}
