import type { Backend, BufferView, OutputSpec } from '../../backend.js';
import type { DType, TypedArray } from '../../dtype.js';
import type { KernelOp, OpAttrs } from '../../ops/defs.js';
import type { CpuKernel, CpuKernelTable } from './kernel.js';
import { ELEMENTWISE_KERNELS } from './kernels-elementwise.js';
import { FUSED_KERNELS } from './kernels-fused.js';
import { MOVEMENT_KERNELS } from './kernels-movement.js';
import { ORDER_KERNELS } from './kernels-order.js';
import { REDUCE_KERNELS } from './kernels-reduce.js';
import type { CpuView } from './strided.js';

/** Every primitive's cpu kernel; a missing entry is a compile error. Also run by the wasm backend on views of its memory. */
export const KERNELS: CpuKernelTable<KernelOp> = {
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
  ...MOVEMENT_KERNELS,
  ...FUSED_KERNELS,
  ...ORDER_KERNELS,
};

/**
 * The numerical reference backend: plain TypeScript over typed arrays, computing in double precision
 * and rounding once on store. Buffers are the typed arrays themselves.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly limits = { maxBufferElements: 2 ** 31 - 1 };
  readonly features = new Set<string>(['f64']);
  readonly dtypes = new Set<DType>(['f32', 'f64', 'i32', 'bool']);

  upload(data: TypedArray): TypedArray {
    return data.slice();
  }

  async read(buffer: unknown): Promise<TypedArray> {
    return (buffer as TypedArray).slice();
  }

  readSync(buffer: unknown): TypedArray {
    return buffer as TypedArray;
  }

  free(): void {}

  execute<P extends KernelOp>(op: P, inputs: readonly BufferView[], attrs: OpAttrs[P], out: OutputSpec): TypedArray {
    const kernel = KERNELS[op] as CpuKernel<P>;
    const result = kernel(inputs as readonly CpuView[], attrs, out);
    return result;
  }

  flush(): void {}
}
