import type { OutputSpec } from '../../backend.js';
import type { TypedArray } from '../../dtype.js';
import type { KernelOp, OpAttrs } from '../../ops/defs.js';
import type { CpuView } from './strided.js';

/** A cpu kernel reads strided views and returns a new contiguous array of the output's size and dtype. */
export type CpuKernel<P extends KernelOp> = (inputs: readonly CpuView[], attrs: OpAttrs[P], out: OutputSpec) => TypedArray;

export type CpuKernelTable<K extends KernelOp> = { [P in K]: CpuKernel<P> };
