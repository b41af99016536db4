// Writer for the safetensors format. The layout is described in safetensors-format.ts.

import {
  checkRawTensor,
  describeJsonType,
  isJsonObject,
  LENGTH_PREFIX_BYTES,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  type RawTensor,
  SafetensorsError,
  showValue,
} from './safetensors-common.js';

const SERIALIZE_SOURCE = 'serializeSafetensors';

/**
 * Serializes tensors into a safetensors file. Tensor data is laid out contiguously in
 * iteration order, starting at data offset 0, and the header is padded with spaces so
 * the data section starts at a multiple of 8 bytes. `metadata`, when given, is written
 * as "__metadata__".
 *
 * Throws SafetensorsError for a duplicate name, the reserved name "__metadata__", a
 * non-string metadata value, a RawTensor whose data length does not match its shape,
 * or a header over MAX_HEADER_BYTES.
 */
export function serializeSafetensors(
  tensors: Iterable<[string, RawTensor]> | Map<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = collectTensors(tensors);

  // The header is assembled as text so that names such as "__proto__" or "0" keep their
  // meaning and order, which building a JS object first would not guarantee.
  const headerParts: string[] = [];
  if (metadata !== undefined) headerParts.push(`"${METADATA_KEY}":${metadataJson(metadata)}`);
  let dataLength = 0;
  for (const [name, raw] of list) {
    const end = dataLength + raw.data.byteLength;
    const entry = { dtype: raw.dtype, shape: raw.shape, data_offsets: [dataLength, end] };
    headerParts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    dataLength = end;
  }

  const headerBytes = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const paddedLength = Math.ceil(headerBytes.byteLength / 8) * 8;
  if (paddedLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `header would be ${paddedLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers accept; split the tensors across several files`,
      SERIALIZE_SOURCE,
    );
  }

  const dataStart = LENGTH_PREFIX_BYTES + paddedLength;
  const file = new Uint8Array(dataStart + dataLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(paddedLength), true);
  file.set(headerBytes, LENGTH_PREFIX_BYTES);
  file.fill(0x20, LENGTH_PREFIX_BYTES + headerBytes.byteLength, dataStart); // ASCII space
  let cursor = dataStart;
  for (const [, raw] of list) {
    file.set(raw.data, cursor);
    cursor += raw.data.byteLength;
  }
  return file;
}

function collectTensors(tensors: Iterable<[string, RawTensor]>): Array<[string, RawTensor]> {
  const list: Array<[string, RawTensor]> = [];
  const seen = new Set<string>();
  for (const [name, raw] of tensors) {
    if (typeof name !== 'string') {
      throw new SafetensorsError(`tensor name ${showValue(name)} must be a string`, SERIALIZE_SOURCE);
    }
    if (name === METADATA_KEY) {
      throw new SafetensorsError(
        'the name "__metadata__" is reserved for file metadata; rename the tensor',
        SERIALIZE_SOURCE,
        name,
      );
    }
    if (seen.has(name)) {
      throw new SafetensorsError(
        'duplicate tensor name; each name may appear once per file',
        SERIALIZE_SOURCE,
        name,
      );
    }
    checkRawTensor(raw, SERIALIZE_SOURCE, name);
    seen.add(name);
    list.push([name, raw]);
  }
  return list;
}

function metadataJson(metadata: Record<string, string>): string {
  if (!isJsonObject(metadata)) {
    throw new SafetensorsError(
      `metadata must be an object of string values, got ${describeJsonType(metadata)}`,
      SERIALIZE_SOURCE,
    );
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        `metadata value for key ${JSON.stringify(key)} must be a string, got ${showValue(value)}; convert it with String() or JSON.stringify()`,
        SERIALIZE_SOURCE,
      );
    }
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}
