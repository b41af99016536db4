// Byte-level reader for the safetensors format, and the public entry point of the
// safetensors modules (the writer and dtype conversions are re-exported from here).
// Layout:
//   8 bytes   little-endian u64 N, the header length
//   N bytes   UTF-8 JSON object: name -> {dtype, shape, data_offsets: [begin, end]},
//             plus an optional "__metadata__" object of string values
//   rest      data section; data_offsets are relative to its first byte
// Nothing here depends on the Tensor class.

import {
  bytesPerElement,
  copyBytes,
  describeJsonType,
  elementCount,
  isJsonObject,
  isSafetensorsDtype,
  isValidShape,
  LENGTH_PREFIX_BYTES,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  type RawTensor,
  SAFETENSORS_DTYPES,
  SafetensorsError,
  showValue,
} from './safetensors-common.js';

export type { RawTensor, SafetensorsDtype } from './safetensors-common.js';
export { bytesPerElement, MAX_HEADER_BYTES, SafetensorsError } from './safetensors-common.js';
export { decodeToFloat32, decodeToInt32, encodeFloat32 } from './safetensors-convert.js';
export { serializeSafetensors } from './safetensors-serialize.js';

export interface ParsedSafetensors {
  /** Tensors ordered by data offset, ties by name. */
  tensors: Map<string, RawTensor>;
  /** The "__metadata__" object, or `{}` when the file has none. */
  metadata: Record<string, string>;
}

interface HeaderEntry {
  name: string;
  raw: Omit<RawTensor, 'data'>;
  begin: number;
  end: number;
}

/**
 * Parses and validates a whole safetensors file held in memory. `source` (usually the file
 * path) prefixes every error message.
 *
 * Each returned `data` is a copy: it never shares memory with `bytes`, so the input buffer
 * can be reused or mutated, and a Node Buffer from the shared pool is not kept alive.
 *
 * Throws SafetensorsError when the file is truncated, the header is invalid, or any tensor
 * entry is inconsistent (see `readEntry` and `sortAndCheckOverlap`).
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): ParsedSafetensors {
  const { header, dataStart } = readHeader(bytes, source);
  const dataLength = bytes.byteLength - dataStart;

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  // NOTE: JSON.parse keeps the last of duplicate keys, so a header that repeats a tensor
  // name loads only that last entry (still fully validated).
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = readMetadata(value, source);
    } else {
      entries.push(readEntry(name, value, dataLength, source));
    }
  }
  sortAndCheckOverlap(entries, source);

  const tensors = new Map<string, RawTensor>();
  for (const { name, raw, begin, end } of entries) {
    tensors.set(name, { ...raw, data: copyBytes(bytes, dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

function readHeader(bytes: Uint8Array, source: string): { header: object; dataStart: number } {
  const fail = (message: string) => new SafetensorsError(message, source);
  if (bytes.byteLength < LENGTH_PREFIX_BYTES) {
    throw fail(
      `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length; the file is truncated or not a safetensors file`,
    );
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      `header length ${declaredLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not a safetensors file`,
    );
  }
  const headerLength = Number(declaredLength);
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  if (dataStart > bytes.byteLength) {
    throw fail(
      `header length ${headerLength} runs past the end of the file: the header would end at byte ${dataStart} but the file is ${bytes.byteLength} bytes; the file is truncated`,
    );
  }

  const header = decodeHeaderJson(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart), source);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fail(
      `header must be a JSON object mapping tensor names to entries, got ${describeJsonType(header)}`,
    );
  }
  return { header, dataStart };
}

function decodeHeaderJson(headerBytes: Uint8Array, source: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8; the file is corrupt', source);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : String(error);
    throw new SafetensorsError(`header is not valid JSON (${reason}); the file is corrupt`, source);
  }
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  if (!isJsonObject(value)) {
    throw new SafetensorsError(
      `"__metadata__" must be an object of string values, got ${describeJsonType(value)}`,
      source,
    );
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new SafetensorsError(
        `"__metadata__" value for key ${JSON.stringify(key)} must be a string, got ${showValue(item)}`,
        source,
      );
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data and cannot set the prototype.
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function readEntry(name: string, value: unknown, dataLength: number, source: string): HeaderEntry {
  const fail = (message: string) => new SafetensorsError(message, source, name);
  if (!isJsonObject(value)) {
    throw fail(
      `header entry must be an object with dtype, shape and data_offsets, got ${describeJsonType(value)}`,
    );
  }

  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    throw fail(`unknown dtype ${showValue(dtype)}; supported dtypes are ${SAFETENSORS_DTYPES.join(', ')}`);
  }
  if (!isValidShape(shape)) {
    throw fail(`shape ${showValue(shape)} is invalid; it must be an array of non-negative safe integers`);
  }
  if (!isOffsetPair(offsets)) {
    throw fail(
      `data_offsets ${showValue(offsets)} is invalid; it must be [begin, end] of non-negative safe integers`,
    );
  }

  const [begin, end] = offsets;
  const offsetsText = `data_offsets [${begin}, ${end}]`;
  if (begin > end) {
    throw fail(`${offsetsText} begin ${begin} is greater than end ${end}; the header is corrupt`);
  }
  if (end > dataLength) {
    throw fail(
      `${offsetsText} end past the data section (${dataLength} bytes); the file is truncated or the header is corrupt`,
    );
  }
  // A product past 2^53 is inexact, but it can then never equal a span that fits in the file.
  const expected = elementCount(shape) * bytesPerElement(dtype);
  if (end - begin !== expected) {
    throw fail(
      `${offsetsText} span ${end - begin} bytes but shape ${showValue(shape)} with dtype ${dtype} needs ${expected} bytes; the header is corrupt`,
    );
  }
  return { name, raw: { dtype, shape: [...shape] }, begin, end };
}

/**
 * Sorts entries by data offset and rejects tensors whose byte ranges overlap, because
 * overlapping tensors would alias each other's data.
 *
 * Gaps between tensors and unused bytes after the last one are accepted and ignored:
 * every tensor is still bounds-checked, so a gap cannot cause an out-of-bounds read.
 * The huggingface/safetensors Rust crate is stricter (`Metadata::validate` in tensor.rs
 * requires contiguous offsets from 0 that end at the end of the file), so a file with
 * gaps that loads here may be rejected there. This writer never produces gaps.
 */
function sortAndCheckOverlap(entries: HeaderEntry[], source: string): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || compareStrings(a.name, b.name));

  let furthest: HeaderEntry | undefined;
  for (const entry of entries) {
    // Empty tensors own no bytes, so they cannot overlap anything, even inside another range.
    if (entry.begin === entry.end) continue;
    if (furthest !== undefined && entry.begin < furthest.end) {
      throw new SafetensorsError(
        `data_offsets [${entry.begin}, ${entry.end}] overlap tensor ${JSON.stringify(furthest.name)} at data_offsets [${furthest.begin}, ${furthest.end}]; the header is corrupt`,
        source,
        entry.name,
      );
    }
    furthest = entry;
  }
}

function isOffsetPair(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((offset) => Number.isSafeInteger(offset) && offset >= 0)
  );
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
