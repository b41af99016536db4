// Dtypes, the raw tensor record and the error type shared by the safetensors parser,
// writer and dtype conversions. Nothing here depends on the Tensor class.

/** Element types this library reads and writes. Other safetensors dtypes (U16, U32, U64, F8_*) are rejected. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** One tensor as stored in a safetensors file, detached from any Tensor class. */
export interface RawTensor {
  dtype: SafetensorsDtype;
  /** Row-major dimensions. `[]` is a scalar, and any 0 dimension makes an empty tensor. */
  shape: number[];
  /** Exactly product(shape) * bytesPerElement(dtype) bytes, little-endian. */
  data: Uint8Array;
}

const BYTES_PER_ELEMENT: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Header size limit, the same as in the huggingface/safetensors Rust crate. Larger headers are treated as corrupt. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Size of the little-endian u64 header length that starts every file. */
export const LENGTH_PREFIX_BYTES = 8;

export const METADATA_KEY = '__metadata__';

export const SAFETENSORS_DTYPES = Object.keys(BYTES_PER_ELEMENT) as readonly SafetensorsDtype[];

/**
 * Error raised for malformed safetensors bytes or invalid tensors. The final `message` is
 * `<source>: tensor "<name>": <message>`, or `<source>: <message>` when no tensor is involved.
 */
export class SafetensorsError extends Error {
  readonly _tag = 'SafetensorsError';

  constructor(
    message: string,
    readonly source: string,
    readonly tensor?: string,
  ) {
    super(
      tensor === undefined
        ? `${source}: ${message}`
        : `${source}: tensor ${JSON.stringify(tensor)}: ${message}`,
    );
    this.name = 'SafetensorsError';
  }
}

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(BYTES_PER_ELEMENT, value);
}

export function bytesPerElement(dtype: SafetensorsDtype): number {
  // Callers in plain JavaScript can pass any string, and an undefined size would turn
  // every later byte count into NaN.
  if (!isSafetensorsDtype(dtype)) {
    throw new TypeError(
      `unknown safetensors dtype ${showValue(dtype)}; expected one of ${SAFETENSORS_DTYPES.join(', ')}`,
    );
  }
  return BYTES_PER_ELEMENT[dtype];
}

/** Formats an arbitrary JSON value for an error message, cut to a readable length. */
export function showValue(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isJsonObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array ${showValue(value)}`;
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${showValue(value)}`;
}

export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0);
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/**
 * Checks that a caller-built RawTensor is self-consistent before it is written or decoded,
 * so a wrong byte count fails here and not as garbage values later.
 */
export function checkRawTensor(raw: RawTensor, source: string, tensor?: string): void {
  if (!isSafetensorsDtype(raw.dtype)) {
    throw new SafetensorsError(
      `unknown dtype ${showValue(raw.dtype)}; expected one of ${SAFETENSORS_DTYPES.join(', ')}`,
      source,
      tensor,
    );
  }
  if (!isValidShape(raw.shape)) {
    throw new SafetensorsError(
      `shape ${showValue(raw.shape)} is invalid; it must be an array of non-negative safe integers`,
      source,
      tensor,
    );
  }
  if (!(raw.data instanceof Uint8Array)) {
    throw new SafetensorsError('data must be a Uint8Array of little-endian element bytes', source, tensor);
  }
  const expected = elementCount(raw.shape) * BYTES_PER_ELEMENT[raw.dtype];
  if (raw.data.byteLength !== expected) {
    throw new SafetensorsError(
      `data has ${raw.data.byteLength} bytes but shape ${showValue(raw.shape)} with dtype ${raw.dtype} needs ${expected} bytes; fix the shape or the data`,
      source,
      tensor,
    );
  }
}

/** Copies a byte range into a fresh, unshared ArrayBuffer, also when the input is a Node Buffer. */
export function copyBytes(bytes: Uint8Array, begin = 0, end = bytes.byteLength): Uint8Array {
  const copy = new Uint8Array(end - begin);
  copy.set(bytes.subarray(begin, end));
  return copy;
}
