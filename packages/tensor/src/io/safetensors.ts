import type { TypedArray } from '../dtype.js';
import { fromArray } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import {
  decodeToFloat32,
  decodeToInt32,
  encodeFloat32,
  parseSafetensors,
  type RawTensor,
  SafetensorsError,
  serializeSafetensors,
} from './safetensors-format.js';

export interface LoadOptions {
  /** Backend for the created tensors; defaults to the current one. */
  backend?: string;
  /** Names the file in error messages. */
  source?: string;
}

export interface LoadedSafetensors {
  /** Tensors in data-offset order. Floats (F64, F32, F16, BF16) load as f32, integers as i32, BOOL as bool. */
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

function toTensor(name: string, raw: RawTensor, options: LoadOptions): Tensor {
  const source = options.source ?? '<bytes>';
  const create = { backend: options.backend };
  switch (raw.dtype) {
    case 'F64':
    case 'F32':
    case 'F16':
    case 'BF16':
      return fromArray(decodeToFloat32(raw, name, source), raw.shape, { ...create, dtype: 'f32' });
    case 'BOOL':
      return fromArray(decodeToInt32(raw, name, source), raw.shape, { ...create, dtype: 'bool' });
    default:
      return fromArray(decodeToInt32(raw, name, source), raw.shape, { ...create, dtype: 'i32' });
  }
}

/** Parses safetensors bytes (a file read in Node, or a fetch response in a browser) into tensors. */
export function loadSafetensorsBytes(bytes: Uint8Array, options: LoadOptions = {}): LoadedSafetensors {
  const parsed = parseSafetensors(bytes, options.source);
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, raw] of parsed.tensors) tensors.set(name, toTensor(name, raw, options));
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
  return { tensors, metadata: parsed.metadata };
}

export interface SaveOptions {
  /** Storage type of f32 tensors in the file (default F32); other dtypes keep theirs. */
  floatDtype?: 'F32' | 'F16' | 'BF16';
  metadata?: Record<string, string>;
}

function rawOf(data: TypedArray, t: Tensor, floatDtype: 'F32' | 'F16' | 'BF16'): RawTensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'f32':
      return { dtype: floatDtype, shape, data: encodeFloat32(data as Float32Array, floatDtype) };
    case 'f64':
      return { dtype: 'F64', shape, data: new Uint8Array(Float64Array.from(data).buffer) };
    case 'i32':
      return { dtype: 'I32', shape, data: new Uint8Array(Int32Array.from(data).buffer) };
    case 'bool':
      return { dtype: 'BOOL', shape, data: Uint8Array.from(data) };
  }
}

/** Serializes named tensors (reading each from its backend) into safetensors bytes. */
export async function saveSafetensorsBytes(tensors: Map<string, Tensor> | Record<string, Tensor>, options: SaveOptions = {}): Promise<Uint8Array> {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const raws: [string, RawTensor][] = [];
  for (const [name, t] of entries) {
    if (t.isDisposed) throw new SafetensorsError(`tensor "${name}" was disposed before saving`, '<save>', name);
    raws.push([name, rawOf(await t.data(), t, options.floatDtype ?? 'F32')]);
  }
  return serializeSafetensors(raws, options.metadata);
}
