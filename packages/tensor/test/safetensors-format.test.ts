import { describe, expect, it } from 'vitest';
import {
  bytesPerElement,
  decodeToFloat32,
  decodeToInt32,
  encodeFloat32,
  parseSafetensors,
  type RawTensor,
  SafetensorsError,
  serializeSafetensors,
} from '../src/io/safetensors-format.js';

// Expected bytes and values below are worked out by hand from the IEEE 754 and
// two's-complement layouts; the comments show the arithmetic.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds a file from header text and data bytes, with no padding, which the format allows. */
function fileFrom(header: string, data: ArrayLike<number> = []): Uint8Array {
  const headerBytes = encoder.encode(header);
  const file = new Uint8Array(8 + headerBytes.length + data.length);
  writeHeaderLength(file, BigInt(headerBytes.length));
  file.set(headerBytes, 8);
  file.set(data, 8 + headerBytes.length);
  return file;
}

/** Writes a u64 little-endian byte by byte, independent of the code under test. */
function writeHeaderLength(file: Uint8Array, length: bigint): void {
  for (let i = 0; i < 8; i++) file[i] = Number((length >> BigInt(8 * i)) & 0xffn);
}

function u16le(...values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((value) => [value & 0xff, value >>> 8]));
}

function u16values(bytes: Uint8Array): number[] {
  const values: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) values.push(bytes[i] | (bytes[i + 1] << 8));
  return values;
}

function headerText(file: Uint8Array): string {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return decoder.decode(file.subarray(8, 8 + length));
}

function catchError(action: () => unknown): SafetensorsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    return error as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError, but nothing was thrown');
}

function raw(dtype: RawTensor['dtype'], shape: number[], data: ArrayLike<number>): RawTensor {
  return { dtype, shape, data: Uint8Array.from(data) };
}

// 1.5 = 0x3FC00000 and -2.0 = 0xC0000000 as float32, stored little-endian.
const B_BYTES = [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0];

function zeroSizeHeader(bEntry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}'): string {
  return `{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":${bEntry},"c":{"dtype":"F32","shape":[2,0],"data_offsets":[8,8]}}`;
}

describe('parseSafetensors zero-size tensors', () => {
  const file = fileFrom(zeroSizeHeader(), B_BYTES);

  it('reads empty tensors beside data', () => {
    const { tensors } = parseSafetensors(file, 'model.safetensors');
    expect([...tensors.keys()]).toEqual(['a', 'b', 'c']);
    expect(tensors.get('a')?.shape).toEqual([0]);
    expect(tensors.get('a')?.data.byteLength).toBe(0);
    expect(tensors.get('c')?.shape).toEqual([2, 0]);
    expect(tensors.get('c')?.data.byteLength).toBe(0);
    expect(Array.from(tensors.get('b')!.data)).toEqual(B_BYTES);
    expect(Array.from(decodeToFloat32(tensors.get('b')!))).toEqual([1.5, -2.0]);
  });

  it('keeps all three through a round trip', () => {
    const first = parseSafetensors(file);
    const second = parseSafetensors(serializeSafetensors(first.tensors));
    expect([...second.tensors.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(second.tensors.get('a')?.shape).toEqual([0]);
    expect(second.tensors.get('c')?.shape).toEqual([2, 0]);
    expect(second.tensors.get('b')?.dtype).toBe('F32');
    expect(Array.from(decodeToFloat32(second.tensors.get('b')!))).toEqual([1.5, -2.0]);
  });

  it('rejects begin after end', () => {
    const bad = fileFrom(zeroSizeHeader('{"dtype":"F32","shape":[2],"data_offsets":[8,4]}'), B_BYTES);
    const error = catchError(() => parseSafetensors(bad, 'model.safetensors'));
    expect(error.message).toBe(
      'model.safetensors: tensor "b": data_offsets [8, 4] begin 8 is greater than end 4; the header is corrupt',
    );
    expect(error.tensor).toBe('b');
    expect(error.source).toBe('model.safetensors');
  });

  it('rejects end past the data section', () => {
    const bad = fileFrom(zeroSizeHeader('{"dtype":"F32","shape":[2],"data_offsets":[0,12]}'), B_BYTES);
    const error = catchError(() => parseSafetensors(bad, 'model.safetensors'));
    expect(error.message).toContain(
      'model.safetensors: tensor "b": data_offsets [0, 12] end past the data section (8 bytes)',
    );
  });

  it('rejects shape that disagrees with byte count', () => {
    const bad = fileFrom(zeroSizeHeader('{"dtype":"F32","shape":[3],"data_offsets":[0,8]}'), B_BYTES);
    const error = catchError(() => parseSafetensors(bad, 'model.safetensors'));
    // 3 elements * 4 bytes = 12 bytes expected, 8 - 0 = 8 bytes present.
    expect(error.message).toContain('tensor "b"');
    expect(error.message).toContain('span 8 bytes but shape [3] with dtype F32 needs 12 bytes');
  });
});

describe('parseSafetensors file structure', () => {
  it('rejects files shorter than 8 bytes', () => {
    for (const length of [0, 1, 7]) {
      const error = catchError(() => parseSafetensors(new Uint8Array(length), 'tiny.safetensors'));
      expect(error.message).toContain(
        `tiny.safetensors: file is ${length} bytes, shorter than the 8-byte header length`,
      );
    }
  });

  it('rejects header length past end of file', () => {
    const file = new Uint8Array(20);
    file[0] = 100; // header claims 100 bytes, only 12 follow the prefix
    const error = catchError(() => parseSafetensors(file, 'cut.safetensors'));
    expect(error.message).toContain('header length 100 runs past the end of the file');
    expect(error.message).toContain('would end at byte 108 but the file is 20 bytes');
  });

  it('rejects header length over 100 MB', () => {
    const file = new Uint8Array(16);
    writeHeaderLength(file, 0xffffffffffffffffn);
    const error = catchError(() => parseSafetensors(file));
    // 2^64 - 1 = 18446744073709551615
    expect(error.message).toContain('header length 18446744073709551615 exceeds the 100000000-byte limit');

    writeHeaderLength(file, 100_000_001n);
    expect(catchError(() => parseSafetensors(file)).message).toContain('header length 100000001 exceeds');
  });

  it('rejects truncated data section', () => {
    const full = fileFrom(zeroSizeHeader(), B_BYTES);
    const cut = full.subarray(0, full.length - 1);
    const error = catchError(() => parseSafetensors(cut, 'cut.safetensors'));
    expect(error.message).toContain('tensor "b": data_offsets [0, 8] end past the data section (7 bytes)');
  });

  it('rejects bad JSON', () => {
    const error = catchError(() => parseSafetensors(fileFrom('{"a":'), 'bad.safetensors'));
    expect(error.message).toContain('bad.safetensors: header is not valid JSON');
  });

  it('rejects header that is not UTF-8', () => {
    const file = fileFrom('{ }');
    file[9] = 0xff; // 0xFF never appears in UTF-8
    expect(catchError(() => parseSafetensors(file)).message).toContain('header is not valid UTF-8');
  });

  it('rejects header that is not an object', () => {
    expect(catchError(() => parseSafetensors(fileFrom('[1,2]'))).message).toContain(
      'header must be a JSON object mapping tensor names to entries, got array [1,2]',
    );
    expect(catchError(() => parseSafetensors(fileFrom('null'))).message).toContain('got null');
    expect(catchError(() => parseSafetensors(fileFrom('42'))).message).toContain('got number 42');
  });

  it('accepts an empty header object', () => {
    const parsed = parseSafetensors(fileFrom('{}'));
    expect(parsed.tensors.size).toBe(0);
    expect(parsed.metadata).toEqual({});
  });

  it('reads input with a nonzero byteOffset', () => {
    const file = fileFrom(zeroSizeHeader(), B_BYTES);
    const backing = new Uint8Array(file.length + 3);
    backing.set(file, 3);
    const parsed = parseSafetensors(backing.subarray(3));
    expect(Array.from(decodeToFloat32(parsed.tensors.get('b')!))).toEqual([1.5, -2.0]);
  });

  it('returns copies, not views of the input', () => {
    const file = Buffer.from(fileFrom(zeroSizeHeader(), B_BYTES));
    const parsed = parseSafetensors(file);
    file.fill(0);
    expect(Array.from(parsed.tensors.get('b')!.data)).toEqual(B_BYTES);
    expect(parsed.tensors.get('b')!.data.buffer).not.toBe(file.buffer);
  });

  it('orders tensors by data offset', () => {
    const header =
      '{"late":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"early":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const parsed = parseSafetensors(fileFrom(header, [7, 9]));
    expect([...parsed.tensors.keys()]).toEqual(['early', 'late']);
    expect(Array.from(parsed.tensors.get('late')!.data)).toEqual([9]);
  });
});

describe('parseSafetensors entries', () => {
  function entryError(entry: string, data: number[] = []): string {
    return catchError(() => parseSafetensors(fileFrom(`{"w":${entry}}`, data), 'f.safetensors')).message;
  }

  it('rejects entry that is not an object', () => {
    expect(entryError('5')).toContain('f.safetensors: tensor "w": header entry must be an object');
    expect(entryError('[1]')).toContain('got array [1]');
  });

  it('rejects unknown dtype', () => {
    const message = entryError('{"dtype":"U16","shape":[1],"data_offsets":[0,2]}', [0, 0]);
    expect(message).toContain('tensor "w": unknown dtype "U16"; supported dtypes are F64, F32, F16, BF16');
    expect(entryError('{"shape":[1],"data_offsets":[0,2]}', [0, 0])).toContain('unknown dtype undefined');
  });

  it('rejects invalid shapes', () => {
    for (const shape of ['[-1]', '[1.5]', '"2"', '[2,null]', '[9007199254740992]']) {
      const message = entryError(`{"dtype":"U8","shape":${shape},"data_offsets":[0,0]}`);
      expect(message).toContain(`tensor "w": shape ${shape} is invalid`);
    }
    expect(entryError('{"dtype":"U8","data_offsets":[0,0]}')).toContain('shape undefined is invalid');
  });

  it('rejects invalid data_offsets', () => {
    for (const offsets of ['[0]', '[0,1,2]', '[-1,0]', '[0,"4"]', '[0.5,1]', '{"0":0,"1":1}']) {
      const message = entryError(`{"dtype":"U8","shape":[0],"data_offsets":${offsets}}`);
      expect(message).toContain(`tensor "w": data_offsets ${offsets} is invalid`);
    }
  });

  it('rejects overlapping tensors', () => {
    // a covers bytes [0, 8), b covers [4, 12): bytes 4..7 belong to both.
    const header =
      '{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const error = catchError(() =>
      parseSafetensors(fileFrom(header, new Array(12).fill(0)), 'o.safetensors'),
    );
    expect(error.message).toBe(
      'o.safetensors: tensor "b": data_offsets [4, 12] overlap tensor "a" at data_offsets [0, 8]; the header is corrupt',
    );
  });

  it('rejects a tensor inside another', () => {
    const header =
      '{"outer":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"inner":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}';
    const message = catchError(() => parseSafetensors(fileFrom(header, new Array(8).fill(0)))).message;
    expect(message).toContain('tensor "inner": data_offsets [2, 4] overlap tensor "outer"');
  });

  it('accepts gaps and empty tensors inside ranges', () => {
    // Bytes 4..7 belong to no tensor; the empty tensor "z" at offset 2 sits inside "a".
    const header =
      '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[0,3],"data_offsets":[2,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}';
    const parsed = parseSafetensors(fileFrom(header, [1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 0]));
    expect(Array.from(parsed.tensors.get('a')!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parsed.tensors.get('b')!.data)).toEqual([5, 6]);
    expect(parsed.tensors.get('z')!.data.byteLength).toBe(0);
  });

  it('rejects non-string metadata values', () => {
    const message = catchError(() => parseSafetensors(fileFrom('{"__metadata__":{"epoch":3}}'))).message;
    expect(message).toContain('"__metadata__" value for key "epoch" must be a string, got 3');
    expect(catchError(() => parseSafetensors(fileFrom('{"__metadata__":["x"]}'))).message).toContain(
      '"__metadata__" must be an object of string values, got array ["x"]',
    );
  });

  it('keeps a "__proto__" metadata key as data', () => {
    const { metadata } = parseSafetensors(fileFrom('{"__metadata__":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('x');
  });
});

describe('serializeSafetensors', () => {
  it('pads the header to 8 bytes', () => {
    const file = serializeSafetensors([['x', raw('F32', [1], [0, 0, 0x80, 0x3f])]]);
    // {"x":  {"dtype":"F32",  "shape":[1],  "data_offsets":[0,4]  }}
    //   5  +       15       +     12      +         20          +  2 = 54 bytes, padded to 56.
    expect(Array.from(file.subarray(0, 8))).toEqual([56, 0, 0, 0, 0, 0, 0, 0]);
    expect(file.length).toBe(8 + 56 + 4);
    expect(headerText(file)).toBe('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  ');
    expect(Array.from(file.subarray(64))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('aligns the data section for any name length', () => {
    for (let length = 1; length <= 9; length++) {
      const file = serializeSafetensors([['n'.repeat(length), raw('U8', [1], [7])]]);
      const dataStart = file.length - 1;
      expect(dataStart % 8).toBe(0);
      expect(file[dataStart]).toBe(7);
      expect(headerText(file).trimEnd()).toBe(JSON.stringify(JSON.parse(headerText(file))));
    }
  });

  it('writes an empty file as a padded {}', () => {
    const file = serializeSafetensors([]);
    // "{}" is 2 bytes, padded with 6 spaces to 8.
    expect(Array.from(file)).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    ]);
  });

  it('lays out data contiguously in insertion order', () => {
    const file = serializeSafetensors(
      new Map([
        ['x', raw('U8', [3], [1, 2, 3])],
        ['e', raw('I64', [0], [])],
        ['y', raw('I16', [2], [4, 0, 5, 0])],
      ]),
    );
    const header = JSON.parse(headerText(file));
    expect(Object.keys(header)).toEqual(['x', 'e', 'y']);
    expect(header.x.data_offsets).toEqual([0, 3]);
    expect(header.e.data_offsets).toEqual([3, 3]);
    expect(header.y.data_offsets).toEqual([3, 7]);
    expect(Array.from(file.subarray(file.length - 7))).toEqual([1, 2, 3, 4, 0, 5, 0]);
  });

  it('round trips metadata', () => {
    const metadata = { format: 'pt', note: 'ünïcode "quoted"' };
    const file = serializeSafetensors([['t', raw('U8', [1], [1])]], metadata);
    expect(headerText(file).startsWith('{"__metadata__":{"format":"pt"')).toBe(true);
    expect(parseSafetensors(file).metadata).toEqual(metadata);
  });

  it('accepts an empty data view', () => {
    const view = new Uint8Array(new ArrayBuffer(16), 5, 0);
    const file = serializeSafetensors([['empty', { dtype: 'F64', shape: [4, 0], data: view }]]);
    expect(parseSafetensors(file).tensors.get('empty')?.shape).toEqual([4, 0]);
  });

  it('rejects invalid input', () => {
    const oneByte = raw('U8', [1], [1]);
    expect(
      catchError(() =>
        serializeSafetensors([
          ['t', oneByte],
          ['t', oneByte],
        ]),
      ).message,
    ).toBe('serializeSafetensors: tensor "t": duplicate tensor name; each name may appear once per file');
    expect(catchError(() => serializeSafetensors([['__metadata__', oneByte]])).message).toContain('reserved');
    expect(catchError(() => serializeSafetensors([['t', raw('F32', [2], [0, 0, 0, 0])]])).message).toContain(
      'tensor "t": data has 4 bytes but shape [2] with dtype F32 needs 8 bytes',
    );
    const badDtype = { dtype: 'U16', shape: [1], data: new Uint8Array(2) } as unknown as RawTensor;
    expect(catchError(() => serializeSafetensors([['t', badDtype]])).message).toContain(
      'unknown dtype "U16"',
    );
    const badMetadata = { epoch: 3 } as unknown as Record<string, string>;
    expect(catchError(() => serializeSafetensors([], badMetadata)).message).toContain(
      'metadata value for key "epoch" must be a string, got 3',
    );
  });
});

describe('decodeToFloat32', () => {
  it('decodes F16 bit patterns', () => {
    const out = decodeToFloat32(
      raw(
        'F16',
        [12],
        u16le(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0000),
      ),
    );
    expect(out[0]).toBe(1); // exponent 15 - 15 = 0, fraction 0
    expect(out[1]).toBe(-2); // sign, exponent 16 - 15 = 1
    expect(out[2]).toBe(65504); // (1 + 1023/1024) * 2^15
    expect(out[3]).toBe(2 ** -24); // smallest subnormal: 1 * 2^-24
    expect(out[4]).toBe(1023 * 2 ** -24); // largest subnormal
    expect(out[5]).toBe(2 ** -14); // smallest normal
    expect(out[6]).toBe(0.333251953125); // exponent 13: (1 + 341/1024) * 2^-2 = 1365/4096
    expect(Object.is(out[7], -0)).toBe(true);
    expect(out[8]).toBe(Number.POSITIVE_INFINITY);
    expect(out[9]).toBe(Number.NEGATIVE_INFINITY);
    expect(out[10]).toBeNaN();
    expect(Object.is(out[11], 0)).toBe(true);
  });

  it('decodes BF16 bit patterns', () => {
    const out = decodeToFloat32(
      raw('BF16', [7], u16le(0x3f80, 0xc000, 0x4049, 0x7f80, 0xff80, 0x7fc0, 0x0001)),
    );
    expect(out[0]).toBe(1); // float32 0x3F800000
    expect(out[1]).toBe(-2); // float32 0xC0000000
    expect(out[2]).toBe(3.140625); // 0x40490000: (1 + 0x490000 / 2^23) * 2 = 1.5703125 * 2
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
    expect(out[4]).toBe(Number.NEGATIVE_INFINITY);
    expect(out[5]).toBeNaN();
    expect(out[6]).toBe(2 ** -133); // float32 subnormal 0x00010000 = 2^16 * 2^-149
  });

  it('decodes F64 with float32 rounding', () => {
    // 1.5 = 0x3FF8000000000000, -0.25 = 0xBFD0000000000000, 2^200 = 0x4C70000000000000 (past float32 max).
    const bytes = [
      [0, 0, 0, 0, 0, 0, 0xf8, 0x3f],
      [0, 0, 0, 0, 0, 0, 0xd0, 0xbf],
      [0, 0, 0, 0, 0, 0, 0x70, 0x4c],
    ].flat();
    expect(Array.from(decodeToFloat32(raw('F64', [3], bytes)))).toEqual([
      1.5,
      -0.25,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('decodes integer and BOOL dtypes', () => {
    // 2^31 - 1 needs 31 significant bits, so float32 (24 bits) rounds it up to 2^31.
    const i32 = decodeToFloat32(raw('I32', [2], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    expect(Array.from(i32)).toEqual([-1, 2147483648]);
    expect(Array.from(decodeToFloat32(raw('I16', [2], [0x00, 0x80, 0x39, 0x30])))).toEqual([-32768, 12345]);
    expect(Array.from(decodeToFloat32(raw('I8', [2], [0x80, 0x7f])))).toEqual([-128, 127]);
    expect(Array.from(decodeToFloat32(raw('U8', [2], [0xff, 0])))).toEqual([255, 0]);
    expect(Array.from(decodeToFloat32(raw('BOOL', [2], [1, 0])))).toEqual([1, 0]);
  });

  it('decodes I64 up to 2^53', () => {
    // 2^53 = 0x0020000000000000, -2^53 = 0xFFE0000000000000, -1 = 0xFFFFFFFFFFFFFFFF.
    const bytes = [
      [0, 0, 0, 0, 0, 0, 0x20, 0],
      [0, 0, 0, 0, 0, 0, 0xe0, 0xff],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ].flat();
    expect(Array.from(decodeToFloat32(raw('I64', [3], bytes)))).toEqual([2 ** 53, -(2 ** 53), -1]);
  });

  it('rejects I64 beyond 2^53', () => {
    // 2^53 + 1 = 0x0020000000000001
    const above = raw('I64', [2], [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x20, 0]);
    const error = catchError(() => decodeToFloat32(above, 'ids', 'm.safetensors'));
    expect(error.message).toContain(
      'm.safetensors: tensor "ids": I64 element 1 is 9007199254740993, beyond ±2^53',
    );
    // -(2^53) - 1 = 0xFFDFFFFFFFFFFFFF
    const below = raw('I64', [1], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xdf, 0xff]);
    expect(catchError(() => decodeToFloat32(below, 'ids')).message).toContain('is -9007199254740993');
  });

  it('rejects BOOL bytes other than 0 and 1', () => {
    const error = catchError(() => decodeToFloat32(raw('BOOL', [3], [0, 1, 2]), 'mask'));
    expect(error.message).toContain('tensor "mask": BOOL element 2 is byte 2, expected 0 or 1');
  });

  it('rejects data that does not match the shape', () => {
    const error = catchError(() => decodeToFloat32(raw('F32', [2], [0, 0, 0, 0]), 'w'));
    expect(error.message).toContain(
      'tensor "w": data has 4 bytes but shape [2] with dtype F32 needs 8 bytes',
    );
  });

  it('decodes an unaligned F32 view', () => {
    const backing = new Uint8Array(9);
    backing.set(B_BYTES, 1);
    expect(Array.from(decodeToFloat32({ dtype: 'F32', shape: [2], data: backing.subarray(1) }))).toEqual([
      1.5, -2,
    ]);
  });
});

describe('decodeToInt32', () => {
  it('decodes I64 in int32 range', () => {
    // -2^31 = 0xFFFFFFFF80000000, 2^31 - 1 = 0x000000007FFFFFFF
    const bytes = [
      [0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff],
      [0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ].flat();
    expect(Array.from(decodeToInt32(raw('I64', [2, 2], bytes)))).toEqual([-2147483648, 2147483647, -1, 0]);
  });

  it('rejects I64 outside int32 range', () => {
    const cases: Array<[number[], string]> = [
      [[0, 0, 0, 0x80, 0, 0, 0, 0], '2147483648'], // 0x0000000080000000 = 2^31
      [[0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff], '-2147483649'], // 0xFFFFFFFF7FFFFFFF = -2^31 - 1
      [[0, 0, 0, 0, 1, 0, 0, 0], '4294967296'], // 0x0000000100000000 = 2^32, low half 0
    ];
    for (const [bytes, value] of cases) {
      const error = catchError(() =>
        decodeToInt32(raw('I64', [2], [0, 0, 0, 0, 0, 0, 0, 0, ...bytes]), 'pos'),
      );
      expect(error.message).toContain(
        `tensor "pos": I64 element 1 is ${value}, outside the int32 range [-2147483648, 2147483647]`,
      );
    }
  });

  it('decodes narrower integer dtypes', () => {
    // 0x80000000 = -2^31, 0x00000102 = 258
    expect(Array.from(decodeToInt32(raw('I32', [2], [0, 0, 0, 0x80, 2, 1, 0, 0])))).toEqual([
      -2147483648, 258,
    ]);
    expect(Array.from(decodeToInt32(raw('I16', [2], [0xff, 0xff, 0x00, 0x01])))).toEqual([-1, 256]);
    expect(Array.from(decodeToInt32(raw('I8', [2], [0xff, 5])))).toEqual([-1, 5]);
    expect(Array.from(decodeToInt32(raw('U8', [2], [0xff, 5])))).toEqual([255, 5]);
    expect(Array.from(decodeToInt32(raw('BOOL', [2], [0, 1])))).toEqual([0, 1]);
  });

  it('decodes an unaligned I32 view', () => {
    const backing = Uint8Array.from([9, 0xfe, 0xff, 0xff, 0xff]); // element bytes 0xFFFFFFFE = -2
    expect(Array.from(decodeToInt32({ dtype: 'I32', shape: [1], data: backing.subarray(1) }))).toEqual([-2]);
  });

  it('rejects floating-point dtypes', () => {
    const error = catchError(() => decodeToInt32(raw('F32', [1], [0, 0, 0x80, 0x3f]), 'w'));
    expect(error.message).toContain('tensor "w": dtype F32 is floating-point and cannot be decoded to int32');
  });
});

describe('encodeFloat32', () => {
  function toF16(...values: number[]): number[] {
    return u16values(encodeFloat32(Float32Array.from(values), 'F16'));
  }

  function toBf16(...values: number[]): number[] {
    return u16values(encodeFloat32(Float32Array.from(values), 'BF16'));
  }

  it('rounds F16 normals to nearest even', () => {
    // Half keeps 10 fraction bits, so near 1 the spacing is 2^-10 and the tie point is 2^-11.
    expect(toF16(1)).toEqual([0x3c00]);
    expect(toF16(1 + 2 ** -11)).toEqual([0x3c00]); // tie between fractions 0 and 1: keep even 0
    expect(toF16(1 + 3 * 2 ** -11)).toEqual([0x3c02]); // tie between 1 and 2: round to even 2
    expect(toF16(1 + 2 ** -11 + 2 ** -20)).toEqual([0x3c01]); // just above the tie: round up
    expect(toF16(-2)).toEqual([0xc000]);
    expect(toF16(1 / 3)).toEqual([0x3555]); // fraction 0x2AAAAB >> 13 = 0x155, remainder 0xAAB < 0x1000
  });

  it('rounds F16 overflow to infinity', () => {
    // Near 65504 the spacing is 32, so 65520 is the tie between 0x7BFF (odd) and 65536 (infinity).
    expect(toF16(65504)).toEqual([0x7bff]);
    expect(toF16(65519)).toEqual([0x7bff]);
    expect(toF16(65520)).toEqual([0x7c00]);
    expect(toF16(-1e10)).toEqual([0xfc00]);
    expect(toF16(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY)).toEqual([0x7c00, 0xfc00]);
  });

  it('rounds F16 subnormals to nearest even', () => {
    // Subnormal halves count units of 2^-24.
    expect(toF16(2 ** -24)).toEqual([0x0001]);
    expect(toF16(-(2 ** -24))).toEqual([0x8001]);
    expect(toF16(2 ** -25)).toEqual([0x0000]); // 0.5 units: tie, keep even 0
    expect(toF16(3 * 2 ** -25)).toEqual([0x0002]); // 1.5 units: tie, round to even 2
    expect(toF16(2 ** -25 + 2 ** -30)).toEqual([0x0001]); // just above 0.5 units
    expect(toF16(2 ** -14 - 2 ** -25)).toEqual([0x0400]); // 1023.5 units: tie, carry to smallest normal
    expect(toF16(2 ** -14)).toEqual([0x0400]);
    expect(toF16(2 ** -140)).toEqual([0x0000]); // float32 subnormal input
    expect(toF16(-0)).toEqual([0x8000]);
  });

  it('keeps NaN a NaN in F16 and BF16', () => {
    const [half] = toF16(Number.NaN);
    expect(half & 0x7c00).toBe(0x7c00);
    expect(half & 0x03ff).not.toBe(0);
    const [brain] = toBf16(Number.NaN);
    expect(brain & 0x7f80).toBe(0x7f80);
    expect(brain & 0x007f).not.toBe(0);
  });

  it('round trips every finite F16 value', () => {
    const all = new Uint8Array(0x10000 * 2);
    for (let bits = 0; bits < 0x10000; bits++) {
      all[bits * 2] = bits & 0xff;
      all[bits * 2 + 1] = bits >>> 8;
    }
    const back = u16values(encodeFloat32(decodeToFloat32(raw('F16', [0x10000], all)), 'F16'));
    for (let bits = 0; bits < 0x10000; bits++) {
      const isNanPattern = (bits & 0x7c00) === 0x7c00 && (bits & 0x03ff) !== 0;
      if (!isNanPattern && back[bits] !== bits) {
        expect.fail(`F16 0x${bits.toString(16)} came back as 0x${back[bits].toString(16)}`);
      }
    }
  });

  it('rounds BF16 to nearest even', () => {
    // BF16 keeps 7 fraction bits, so near 1 the spacing is 2^-7 and the tie point is 2^-8.
    expect(toBf16(1)).toEqual([0x3f80]);
    expect(toBf16(-1)).toEqual([0xbf80]);
    expect(toBf16(1 + 2 ** -8)).toEqual([0x3f80]); // tie: keep even fraction 0
    expect(toBf16(1 + 3 * 2 ** -8)).toEqual([0x3f82]); // tie between 1 and 2: round to even 2
    expect(toBf16(1 + 2 ** -8 + 2 ** -20)).toEqual([0x3f81]); // above the tie
    // Largest float32 0x7F7FFFFF drops 0xFFFF > 0x8000, so it rounds up to 0x7F80 (infinity).
    expect(toBf16((2 - 2 ** -23) * 2 ** 127)).toEqual([0x7f80]);
  });

  it('writes F32 and F64 little-endian', () => {
    expect(Array.from(encodeFloat32(Float32Array.from([1.5, -2]), 'F32'))).toEqual(B_BYTES);
    // 1.5 as float64 = 0x3FF8000000000000
    expect(Array.from(encodeFloat32(Float32Array.from([1.5]), 'F64'))).toEqual([
      0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
    ]);
  });

  it('encodes a subarray with a byteOffset', () => {
    const values = Float32Array.from([7, 1, -2]).subarray(1);
    expect(u16values(encodeFloat32(values, 'F16'))).toEqual([0x3c00, 0xc000]);
    expect(Array.from(encodeFloat32(values, 'F32'))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });
});

describe('bytesPerElement', () => {
  it('returns the element width of each dtype', () => {
    const widths = {
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
    } as const;
    for (const [dtype, width] of Object.entries(widths)) {
      expect(bytesPerElement(dtype as RawTensor['dtype'])).toBe(width);
    }
  });

  it('rejects unknown dtypes', () => {
    expect(() => bytesPerElement('U16' as RawTensor['dtype'])).toThrow('unknown safetensors dtype "U16"');
  });
});

describe('SafetensorsError', () => {
  it('carries tag, source and tensor', () => {
    const error = new SafetensorsError('broken', 'x.safetensors', 'w');
    expect(error).toBeInstanceOf(Error);
    expect(error._tag).toBe('SafetensorsError');
    expect(error.name).toBe('SafetensorsError');
    expect(error.source).toBe('x.safetensors');
    expect(error.tensor).toBe('w');
    expect(error.message).toBe('x.safetensors: tensor "w": broken');
    expect(new SafetensorsError('broken', 'x.safetensors').message).toBe('x.safetensors: broken');
  });
});
