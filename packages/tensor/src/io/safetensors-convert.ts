// Conversions between safetensors element bytes (always little-endian) and the float32 and
// int32 arrays the Tensor class stores. Reads go through DataView with explicit
// little-endian flags, so results do not depend on the host byte order.

import {
  checkRawTensor,
  copyBytes,
  elementCount,
  type RawTensor,
  SafetensorsError,
  showValue,
} from './safetensors-common.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const DEFAULT_SOURCE = '<bytes>';
const TWO_POW_32 = 2 ** 32;

type ElementReader = (view: DataView, index: number) => number;

const SMALL_INT_READERS: Record<'I32' | 'I16' | 'I8' | 'U8' | 'BOOL', ElementReader> = {
  I32: (view, index) => view.getInt32(index * 4, true),
  I16: (view, index) => view.getInt16(index * 2, true),
  I8: (view, index) => view.getInt8(index),
  U8: (view, index) => view.getUint8(index),
  BOOL: (view, index) => view.getUint8(index),
};

/**
 * Decodes a raw tensor of any supported dtype into a new Float32Array.
 *
 * Values round to the nearest float32: F64 and integers above 2^24 in magnitude can lose
 * precision, and finite F64 values beyond the float32 range become ±Infinity.
 * `tensor` and `source` only label errors.
 *
 * Throws SafetensorsError when the data length does not match the shape, an I64 value has
 * magnitude above 2^53 (a JS number cannot hold it exactly), or a BOOL byte is not 0 or 1.
 */
export function decodeToFloat32(raw: RawTensor, tensor?: string, source = DEFAULT_SOURCE): Float32Array {
  checkRawTensor(raw, source, tensor);
  const count = elementCount(raw.shape);
  const view = new DataView(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);

  switch (raw.dtype) {
    case 'F32':
      return decodeFloat32Bytes(raw.data, view, count);
    case 'F64':
      return fillFrom(new Float32Array(count), view, (v, i) => v.getFloat64(i * 8, true));
    case 'F16':
      return decodeFloat16(view, count);
    case 'BF16':
      return decodeBfloat16(view, count);
    case 'I64':
      return decodeInt64ToFloat(view, count, tensor, source);
    case 'BOOL':
      checkBoolBytes(raw.data, tensor, source);
      return fillFrom(new Float32Array(count), view, SMALL_INT_READERS.BOOL);
    default:
      return fillFrom(new Float32Array(count), view, SMALL_INT_READERS[raw.dtype]);
  }
}

/**
 * Decodes an integer or BOOL raw tensor into a new Int32Array. I64 values are range-checked
 * and U8 and BOOL are widened. `tensor` and `source` only label errors.
 *
 * Throws SafetensorsError for floating-point dtypes, I64 values outside the int32 range,
 * BOOL bytes other than 0 and 1, and data whose length does not match the shape.
 */
export function decodeToInt32(raw: RawTensor, tensor?: string, source = DEFAULT_SOURCE): Int32Array {
  checkRawTensor(raw, source, tensor);
  const count = elementCount(raw.shape);
  const view = new DataView(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);

  switch (raw.dtype) {
    case 'F64':
    case 'F32':
    case 'F16':
    case 'BF16':
      throw new SafetensorsError(
        `dtype ${raw.dtype} is floating-point and cannot be decoded to int32; use decodeToFloat32`,
        source,
        tensor,
      );
    case 'I32':
      // Fast path: a fresh copy is 4-byte aligned, so on little-endian hosts it is already an Int32Array.
      if (LITTLE_ENDIAN_HOST) return new Int32Array(copyBytes(raw.data).buffer, 0, count);
      return fillFrom(new Int32Array(count), view, SMALL_INT_READERS.I32);
    case 'I64':
      return decodeInt64ToInt32(view, count, tensor, source);
    case 'BOOL':
      checkBoolBytes(raw.data, tensor, source);
      return fillFrom(new Int32Array(count), view, SMALL_INT_READERS.BOOL);
    default:
      return fillFrom(new Int32Array(count), view, SMALL_INT_READERS[raw.dtype]);
  }
}

/**
 * Encodes float32 values as little-endian bytes of `dtype`. F16 and BF16 round to nearest,
 * ties to even, overflow to ±Infinity, and keep NaN a NaN. F64 is exact.
 */
export function encodeFloat32(values: Float32Array, dtype: 'F32' | 'F16' | 'BF16' | 'F64'): Uint8Array {
  // Reading the float32 bit patterns directly avoids a round trip through JS numbers.
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST)
        return copyBytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      return writeEach(values.length, 4, (view, i) => view.setUint32(i * 4, bits[i], true));
    case 'F64':
      return writeEach(values.length, 8, (view, i) => view.setFloat64(i * 8, values[i], true));
    case 'F16':
      return writeEach(values.length, 2, (view, i) =>
        view.setUint16(i * 2, float32BitsToFloat16(bits[i]), true),
      );
    case 'BF16':
      return writeEach(values.length, 2, (view, i) =>
        view.setUint16(i * 2, float32BitsToBfloat16(bits[i]), true),
      );
    default:
      throw new TypeError(
        `encodeFloat32 cannot write dtype ${showValue(dtype)}; expected F32, F16, BF16 or F64`,
      );
  }
}

function fillFrom<T extends Float32Array | Int32Array>(out: T, view: DataView, read: ElementReader): T {
  for (let i = 0; i < out.length; i++) out[i] = read(view, i);
  return out;
}

function writeEach(count: number, width: number, write: (view: DataView, index: number) => void): Uint8Array {
  const bytes = new Uint8Array(count * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) write(view, i);
  return bytes;
}

function decodeFloat32Bytes(data: Uint8Array, view: DataView, count: number): Float32Array {
  // Fast path: a fresh copy is 4-byte aligned, so on little-endian hosts it is already a Float32Array.
  if (LITTLE_ENDIAN_HOST) return new Float32Array(copyBytes(data).buffer, 0, count);
  return fillFrom(new Float32Array(count), view, (v, i) => v.getFloat32(i * 4, true));
}

function decodeBfloat16(view: DataView, count: number): Float32Array {
  // BF16 is the upper half of a float32, so shifting the bits back is exact, NaN payloads included.
  const bits = new Uint32Array(count);
  for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  return new Float32Array(bits.buffer);
}

let float16Table: Float32Array | undefined;

function decodeFloat16(view: DataView, count: number): Float32Array {
  // All 65536 half values fit in a 256 KiB table built on first use. Every F16 value is exact in float32.
  if (float16Table === undefined) {
    float16Table = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) float16Table[bits] = float16BitsToNumber(bits);
  }
  const table = float16Table;
  return fillFrom(new Float32Array(count), view, (v, i) => table[v.getUint16(i * 2, true)]);
}

/** IEEE 754 binary16: 1 sign bit, 5 exponent bits with bias 15, 10 fraction bits. */
function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Setting the top fraction bit keeps a NaN a NaN even when its payload shifts out.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }

  const unbiased = exponent - 127;
  if (unbiased > 15) return sign | 0x7c00; // at least 2^16, past the largest half (65504)
  if (unbiased >= -14) {
    // Normal half: drop 13 fraction bits. A rounding carry moves into the exponent field,
    // which is the correct result, up to and including infinity (0x7c00).
    return sign | roundShiftRightEven(((unbiased + 15) << 23) | mantissa, 13);
  }
  if (unbiased >= -25) {
    // A subnormal half counts units of 2^-24, and the value is (mantissa | implicit 1) * 2^(unbiased - 23).
    // A carry to 0x400 yields the smallest normal half, also correct.
    return sign | roundShiftRightEven(mantissa | 0x800000, -unbiased - 1);
  }
  return sign; // below half of 2^-24, including float32 subnormals: rounds to signed zero
}

function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40; // quiet NaN, never rounds to Infinity
  return roundShiftRightEven(bits, 16);
}

/** Shifts a non-negative integer right, rounding to nearest with ties to even. */
function roundShiftRightEven(value: number, shift: number): number {
  const shifted = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (remainder > half || (remainder === half && (shifted & 1) === 1)) return shifted + 1;
  return shifted;
}

function checkBoolBytes(data: Uint8Array, tensor: string | undefined, source: string): void {
  const index = data.findIndex((byte) => byte > 1);
  if (index !== -1) {
    throw new SafetensorsError(
      `BOOL element ${index} is byte ${data[index]}, expected 0 or 1; the tensor data is corrupt`,
      source,
      tensor,
    );
  }
}

// I64 elements are read as two 32-bit halves because getBigInt64 allocates a BigInt per
// element; the BigInt is built only for the error message.

function decodeInt64ToFloat(
  view: DataView,
  count: number,
  tensor: string | undefined,
  source: string,
): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(i * 8, true);
    const high = view.getInt32(i * 8 + 4, true);
    // |value| <= 2^53 exactly when high is in [-2^21, 2^21), or the value is 2^53 itself.
    const exact = (high >= -0x200000 && high < 0x200000) || (high === 0x200000 && low === 0);
    if (!exact) {
      throw new SafetensorsError(
        `I64 element ${i} is ${view.getBigInt64(i * 8, true)}, beyond ±2^53 where int64 values stop being exact in JavaScript; store the tensor with a narrower dtype`,
        source,
        tensor,
      );
    }
    out[i] = high * TWO_POW_32 + low;
  }
  return out;
}

function decodeInt64ToInt32(
  view: DataView,
  count: number,
  tensor: string | undefined,
  source: string,
): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(i * 8, true);
    const high = view.getInt32(i * 8 + 4, true);
    // In int32 range exactly when the high half is the sign extension of the low half.
    const fits = (high === 0 && low <= 0x7fffffff) || (high === -1 && low >= 0x80000000);
    if (!fits) {
      throw new SafetensorsError(
        `I64 element ${i} is ${view.getBigInt64(i * 8, true)}, outside the int32 range [-2147483648, 2147483647]; use decodeToFloat32 or store the tensor as I32`,
        source,
        tensor,
      );
    }
    out[i] = low | 0;
  }
  return out;
}
