import type { DType } from '../../dtype.js';
import type { Binding, GpuBuffer } from './dispatch.js';
import { WebGPULimitError } from './errors.js';
import { ELEMENT_BYTES, elementCount, type GpuView, type KernelContext } from './kernel.js';
import { checkElementCount } from './limits.js';
import { collapse, entry, indexFn, isDense, Meta, scalarType, storage, WG } from './wgsl.js';

/** Uniform words 4..7 contain up to four scalar attributes, which expressions read as `m(4u)` etc. */
export const SCALAR_AT = 4;
const SHAPE_AT = 8;

/**
 * One output element per thread from elements of inputs that all have the output's shape (broadcast
 * inputs arrive as stride-0 views, so nothing is copied).
 */
export interface MapSpec {
  op: string;
  /** Identifies `expr` and `helpers` in the pipeline cache. */
  key: string;
  inputs: readonly GpuView[];
  outShape: readonly number[];
  outDtype: DType;
  /** WGSL expression of the output element, over inputs `a0`, `a1`, ... and the row-major index `g` (u32). */
  expr: string;
  helpers?: string;
  scalars?: readonly { value: number; type: 'u32' | 'i32' | 'f32' }[];
}

interface InputBinding {
  /** First element bound for inputs bound by range, or null when bound whole. */
  start: number | null;
}

function bytesOf(elements: number): number {
  return elements * ELEMENT_BYTES;
}

/**
 * Elements per dispatch so that every binding stays under the binding limit. Output chunks start at
 * multiples of 64 elements (256 bytes, the offset alignment), and a range-bound input may straddle
 * one alignment unit more.
 */
function chunkElements(spec: MapSpec, ctx: KernelContext, total: number, dense: boolean[]): number {
  const limit = ctx.limits.maxBindingBytes;
  const align = ctx.limits.storageOffsetAlignment;
  const fitsWhole = bytesOf(total) <= limit && spec.inputs.every((v) => v.buffer.bytes <= limit);
  if (fitsWhole) return total;
  for (let i = 0; i < spec.inputs.length; i++) {
    const v = spec.inputs[i];
    if (v.buffer.bytes > limit && !dense[i]) {
      throw new WebGPULimitError(
        spec.op,
        'maxStorageBufferBindingSize (bytes)',
        v.buffer.bytes,
        limit,
        'this strided input cannot be split; make it contiguous first or raise the limit',
      );
    }
  }
  const unit = align / ELEMENT_BYTES;
  const chunk = Math.floor((limit - align) / ELEMENT_BYTES / unit) * unit;
  if (chunk <= 0)
    throw new WebGPULimitError(
      spec.op,
      'maxStorageBufferBindingSize (bytes)',
      2 * align,
      limit,
      'the limit is below two offset-alignment units',
    );
  return chunk;
}

function source(spec: MapSpec, rank: number, dense: boolean[]): string {
  const outType = scalarType(spec.outDtype);
  let code = '';
  spec.inputs.forEach((v, i) => {
    code += storage(i + 1, `in${i}`, scalarType(v.dtype), 'read');
  });
  code += storage(spec.inputs.length + 1, 'out', outType, 'read_write');
  const stridesAt = (i: number) => SHAPE_AT + rank + i * (rank + 1);
  spec.inputs.forEach((_, i) => {
    code += indexFn(`at${i}`, rank, SHAPE_AT, stridesAt(i) + 1, stridesAt(i), dense[i]);
  });
  code += spec.helpers ?? '';
  const loads = spec.inputs.map((_, i) => `  let a${i} = in${i}[at${i}(g)];`).join('\n');
  return (
    code +
    entry(
      WG,
      `  let i = wg * ${WG}u + lid;
  if (i >= m(0u)) { return; }
  let g = i + m(1u);
${loads}
  out[g - m(2u)] = ${spec.expr};`,
    )
  );
}

/** Records the map kernel (in chunks when a binding would exceed the limit) and returns the output. */
export function runMap(ctx: KernelContext, spec: MapSpec): GpuBuffer {
  const total = elementCount(spec.outShape);
  checkElementCount(spec.op, total);
  const out = ctx.alloc(spec.op, { shape: spec.outShape, dtype: spec.outDtype });
  if (total === 0) return out;
  const layout = collapse(
    spec.outShape,
    spec.inputs.map((v) => v.strides),
  );
  const rank = layout.shape.length;
  const dense = layout.strides.map((s) => isDense(layout.shape, s));
  const chunk = chunkElements(spec, ctx, total, dense);
  const whole = chunk === total;
  const key = `map:${spec.key}:${spec.inputs.map((v) => v.dtype).join(',')}>${spec.outDtype}:r${rank}:${dense.map(Number).join('')}`;
  const align = ctx.limits.storageOffsetAlignment / ELEMENT_BYTES;

  for (let base = 0; base < total; base += chunk) {
    const count = Math.min(chunk, total - base);
    const bound: InputBinding[] = spec.inputs.map((v) => ({
      start:
        whole || v.buffer.bytes <= ctx.limits.maxBindingBytes
          ? null
          : Math.floor((v.offset + base) / align) * align,
    }));
    const meta = new Meta();
    meta.u32(count, base, whole ? 0 : base, 0);
    for (let s = 0; s < 4; s++) {
      const scalar = spec.scalars?.[s];
      if (!scalar) meta.u32(0);
      else if (scalar.type === 'f32') meta.f32(scalar.value);
      else if (scalar.type === 'i32') meta.i32(scalar.value);
      else meta.u32(scalar.value);
    }
    meta.u32(...layout.shape);
    spec.inputs.forEach((v, i) => {
      meta.u32(v.offset - (bound[i].start ?? 0), ...layout.strides[i]);
    });
    const bindings: Binding[] = spec.inputs.map((v, i) => {
      const start = bound[i].start;
      if (start === null) return { buffer: v.buffer };
      const end = v.offset + base + count;
      return { buffer: v.buffer, offset: bytesOf(start), size: bytesOf(end - start) };
    });
    bindings.push(
      whole
        ? { buffer: out, write: true }
        : { buffer: out, write: true, offset: bytesOf(base), size: bytesOf(count) },
    );
    ctx.gpu.run({
      op: spec.op,
      key,
      source: () => source(spec, rank, dense),
      meta,
      bindings,
      workgroups: Math.ceil(count / WG),
    });
  }
  return out;
}
