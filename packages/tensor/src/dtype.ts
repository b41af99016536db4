/** Element types. `f64` exists on the cpu backend only, for gradient checks in double precision. */
export type DType = 'f32' | 'f64' | 'i32' | 'bool';

export type FloatDType = 'f32' | 'f64';

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export type TypedArrayFor<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'f64'
    ? Float64Array
    : D extends 'i32'
      ? Int32Array
      : Uint8Array;

export const DTYPES: readonly DType[] = ['f32', 'f64', 'i32', 'bool'];

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'f64':
      return 8;
    case 'f32':
    case 'i32':
      return 4;
    case 'bool':
      return 1;
  }
}

export function allocateArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'f64':
      return new Float64Array(size);
    case 'f32':
      return new Float32Array(size);
    case 'i32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'f32' || dtype === 'f64';
}

const RANK: Record<DType, number> = { bool: 0, i32: 1, f32: 2, f64: 3 };

/** Result type of a binary op, as NumPy promotes: bool < i32 < f32 < f64. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Converts one number to what an element of `dtype` stores (truncation toward zero for i32). */
export function castScalar(value: number, dtype: DType): number {
  switch (dtype) {
    case 'f64':
      return value;
    case 'f32':
      return Math.fround(value);
    case 'i32':
      return Number.isNaN(value) ? 0 : value | 0;
    case 'bool':
      // NaN is nonzero, so it is true, as in C, NumPy and PyTorch
      return value !== 0 ? 1 : 0;
  }
}
