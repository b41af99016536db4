import type { DType } from '../../dtype.js';
import { BackendError } from '../../errors.js';

/** Threads per workgroup of the one-thread-per-element kernels. */
export const WG = 64;

/** Words in every kernel's uniform block (a fixed size keeps all uniform buffers in one pool class). */
export const META_WORDS = 256;

/**
 * The uniform block of one dispatch, as u32 words: shapes, strides, offsets and scalar attributes.
 * Kernels read word i with `m(i)`. Floats are stored by their bits, so NaN and infinities survive.
 */
export class Meta {
  private readonly words: number[] = [];

  /** Appends values and returns the index of the first. */
  u32(...values: number[]): number {
    const at = this.words.length;
    for (const v of values) this.words.push(v >>> 0);
    return at;
  }

  i32(value: number): number {
    return this.u32(value | 0);
  }

  f32(value: number): number {
    const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
    return this.u32(bits);
  }

  get length(): number {
    return this.words.length;
  }

  bytes(): Uint32Array<ArrayBuffer> {
    if (this.words.length > META_WORDS) {
      throw new BackendError(
        'webgpu',
        `a kernel needs ${this.words.length} uniform words, more than the ${META_WORDS} reserved; use fewer axes`,
      );
    }
    const out = new Uint32Array(META_WORDS);
    out.set(this.words);
    return out;
  }
}

/** WGSL scalar type of a tensor element: bool is stored as u32 (0 or 1). */
export function scalarType(dtype: DType): 'f32' | 'i32' | 'u32' {
  if (dtype === 'f64')
    throw new BackendError('webgpu', 'dtype f64 is not supported; use f32, or run on the cpu backend');
  if (dtype === 'f32') return 'f32';
  return dtype === 'i32' ? 'i32' : 'u32';
}

/** WGSL that reads uniform word `word` as a scalar of the element type. */
export function readWord(dtype: DType, word: number): string {
  const accessor = { f32: 'mf', i32: 'mi', u32: 'm' }[scalarType(dtype)];
  return `${accessor}(${word}u)`;
}

/** Uniform block, meta accessor and float helpers shared by every kernel. */
export const PRELUDE = /* wgsl */ `
struct Params { w: array<vec4<u32>, ${META_WORDS / 4}> }
@group(0) @binding(0) var<uniform> params: Params;
fn m(i: u32) -> u32 { return params.w[i >> 2u][i & 3u]; }
fn mf(i: u32) -> f32 { return bitcast<f32>(m(i)); }
fn mi(i: u32) -> i32 { return bitcast<i32>(m(i)); }
// NaN and infinity tests on the bits: WGSL lets compilers assume floats are finite.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
// Built at run time: a constant expression that evaluates to inf or NaN is a shader compile error.
fn pos_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn neg_inf() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
fn nan_f32() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
// exp and log with IEEE special cases. SwiftShader's builtins return inf for exp(NaN) and a finite
// number for log(0) and log(x < 0).
fn exp_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72283935546875) { return pos_inf(); }
  if (x < -103.97208404541016) { return 0.0; }
  return exp(x);
}
fn log_f(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0) { return nan_f32(); }
  if (x == 0.0) { return neg_inf(); }
  if (is_inf(x)) { return x; }
  return log(x);
}
`;

/** Entry point whose body can use `wg` (linear workgroup index over a 2-D grid) and `lid`. */
export function entry(workgroupSize: number, body: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let wg = wid.x + wid.y * nwg.x;
${body}
}
`;
}

export type Access = 'read' | 'read_write';

export function storage(binding: number, name: string, type: string, access: Access): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${type}>;\n`;
}

/**
 * WGSL `fn name(i: u32) -> u32`: buffer index of element i (row-major over the view's shape) of a
 * strided view. Shape words start at `shapeAt`, stride words at `strideAt`, the offset is at `offsetAt`.
 * A dense view (rank 1, stride 1) gets the one-line form.
 */
export function indexFn(
  name: string,
  rank: number,
  shapeAt: number,
  strideAt: number,
  offsetAt: number,
  dense: boolean,
): string {
  if (dense) return `fn ${name}(i: u32) -> u32 { return i + m(${offsetAt}u); }\n`;
  if (rank === 0) return `fn ${name}(i: u32) -> u32 { return m(${offsetAt}u); }\n`;
  return /* wgsl */ `fn ${name}(i: u32) -> u32 {
  var rest = i;
  var at = m(${offsetAt}u);
  for (var d = ${rank - 1}i; d >= 0; d--) {
    let size = m(${shapeAt}u + u32(d));
    at += (rest % size) * m(${strideAt}u + u32(d));
    rest /= size;
  }
  return at;
}
`;
}

export interface Collapsed {
  shape: number[];
  /** One stride list per view, over the collapsed shape. */
  strides: number[][];
}

/**
 * Drops size-1 axes and merges neighbours that are laid out back to back in every view, so most
 * layouts reach rank 1 and index math disappears from the kernel.
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): Collapsed {
  const keep = shape.flatMap((d, i) => (d === 1 ? [] : [i]));
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const axis of keep) {
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, v) => outStrides[v][last] === s[axis] * shape[axis]);
    if (mergeable) {
      outShape[last] *= shape[axis];
      strides.forEach((s, v) => {
        outStrides[v][last] = s[axis];
      });
    } else {
      outShape.push(shape[axis]);
      strides.forEach((s, v) => {
        outStrides[v].push(s[axis]);
      });
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** True when a collapsed view is a plain run of elements. */
export function isDense(shape: readonly number[], strides: readonly number[]): boolean {
  return shape.length === 0 ? false : shape.length === 1 && strides[0] === 1;
}
