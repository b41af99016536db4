import { getBackend } from '../backend.js';
import { allocateArray, castScalar, type DType, type TypedArray } from '../dtype.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { Storage } from '../memory.js';
import { apply } from '../runtime.js';
import { checkShape, contiguousStrides, sizeOf } from '../shape.js';
import { type NestedArray, Tensor } from '../tensor.js';

export interface CreateOptions {
  dtype?: DType;
  /** Backend name; defaults to the one chosen with `useBackend`. */
  backend?: string;
  requiresGrad?: boolean;
}

function inferShape(value: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flattenNested(value: NestedArray, shape: number[], out: number[], depth = 0): void {
  if (depth === shape.length) {
    if (Array.isArray(value)) throw new ShapeError('tensor', [shape], 'nested array is ragged: found an array where a number belongs');
    out.push(typeof value === 'boolean' ? Number(value) : value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new ShapeError('tensor', [shape], `nested array is ragged at depth ${depth}: expected ${shape[depth]} entries`);
  }
  for (const v of value) flattenNested(v, shape, out, depth + 1);
}

function defaultDType(value: NestedArray | TypedArray): DType {
  if (value instanceof Int32Array) return 'i32';
  if (value instanceof Uint8Array) return 'bool';
  if (value instanceof Float64Array) return 'f32';
  let probe: NestedArray = value as NestedArray;
  while (Array.isArray(probe) && probe.length > 0) probe = probe[0];
  return typeof probe === 'boolean' ? 'bool' : 'f32';
}

/** Wraps host data already laid out row-major as a tensor on a backend. */
export function fromArray(data: TypedArray | readonly number[], shape: readonly number[], options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? defaultDType(data as TypedArray);
  const dims = checkShape('fromArray', shape);
  if (data.length !== sizeOf(dims)) {
    throw new ShapeError('fromArray', [dims], `data has ${data.length} elements but the shape needs ${sizeOf(dims)}`);
  }
  const typed = allocateArray(dtype, data.length);
  for (let i = 0; i < data.length; i++) typed[i] = castScalar(data[i], dtype);
  const backend = getBackend(options.backend);
  const storage = new Storage(backend, backend.upload(typed, dtype), dtype, typed.length);
  const t = new Tensor(storage, dims, dtype, contiguousStrides(dims), 0);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Creates a tensor from a number, a nested array, or a typed array (then `shape` is required). */
export function tensor(value: NestedArray | TypedArray, options: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  if (ArrayBuffer.isView(value)) {
    return fromArray(value as TypedArray, options.shape ?? [value.length], { dtype: defaultDType(value as TypedArray), ...options });
  }
  const shape = inferShape(value as NestedArray);
  const flat: number[] = [];
  flattenNested(value as NestedArray, shape, flat);
  return fromArray(flat, options.shape ?? shape, { dtype: defaultDType(value as NestedArray), ...options });
}

export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? 'f32';
  const t = apply('full', [], { shape: checkShape('full', shape), value, dtype }, options.backend);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function fullLike(x: Tensor, value: number, dtype: DType = x.dtype): Tensor {
  return apply('full', [], { shape: [...x.shape], value, dtype }, x.backend.name);
}

export function zerosLike(x: Tensor): Tensor {
  return fullLike(x, 0);
}

export function onesLike(x: Tensor): Tensor {
  return fullLike(x, 1);
}

/** Evenly spaced values in [start, end) with the given step; `arange(n)` is 0, 1, ..., n-1. */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new ArgumentError('arange', `step ${step} must be a finite non-zero number`);
  const length = Math.max(0, Math.ceil((end - start) / step));
  const allIntegers = Number.isInteger(start) && Number.isInteger(step);
  const dtype = options.dtype ?? (allIntegers ? 'i32' : 'f32');
  const values = allocateArray(dtype, length);
  for (let i = 0; i < length; i++) values[i] = castScalar(start + i * step, dtype);
  return fromArray(values, [length], { ...options, dtype });
}

/** Scalar tensor on the same backend as `like`, with `like`'s dtype unless the value needs a float. */
export function scalarLike(value: number, like: Tensor): Tensor {
  const dtype = like.dtype === 'bool' || (like.dtype === 'i32' && !Number.isInteger(value)) ? 'f32' : like.dtype;
  return apply('full', [], { shape: [], value, dtype }, like.backend.name);
}
